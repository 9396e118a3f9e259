"""Main DB: the websocket URL of the edge serving each message-server shard (docs/realtime.md).

Revision ID: main_0003
Revises: main_0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0003"
down_revision: str | None = "main_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null until an edge registers for the shard (services/realtime/edges.py).
    with op.batch_alter_table("ms_shards") as batch:
        batch.add_column(sa.Column("url", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ms_shards") as batch:
        batch.drop_column("url")
