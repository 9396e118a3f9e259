"""Shard: thread bookkeeping on messages (reply_users, parent_user_id); chosen presence.

Revision ID: shard_0003
Revises: shard_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0003"
down_revision: str | None = "shard_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reply_users", sa.JSON, nullable=True))
        batch.add_column(sa.Column("parent_user_id", sa.String(16), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("presence", sa.String(8), nullable=False, server_default="auto"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("presence")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("parent_user_id")
        batch.drop_column("reply_users")
