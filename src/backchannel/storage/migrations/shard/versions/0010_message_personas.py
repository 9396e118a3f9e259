"""Shard: what a message says of itself beyond its text (docs/webapp.md).

A bot's own name and icon for one message (`messages.username`, `messages.icons`: Slack's
chat:write.customize and incoming webhooks' overrides), and an app's message metadata
(`messages.metadata`: {"event_type", "event_payload"}).

Revision ID: shard_0010
Revises: shard_0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0010"
down_revision: str | None = "shard_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("username", sa.String(255), nullable=True))
        batch.add_column(sa.Column("icons", sa.JSON, nullable=True))
        batch.add_column(sa.Column("metadata", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("metadata")
        batch.drop_column("icons")
        batch.drop_column("username")
