"""Shard: read markers (where each member has read up to in a channel).

Revision ID: shard_0002
Revises: shard_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0002"
down_revision: str | None = "shard_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "read_markers",
        sa.Column("channel_id", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("last_read", sa.String(20), nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("read_markers")
