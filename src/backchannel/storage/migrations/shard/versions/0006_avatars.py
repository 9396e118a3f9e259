"""Shard: profile photos set by users.setPhoto, one per user (docs/webapp.md, Avatars).

Revision ID: shard_0006
Revises: shard_0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0006"
down_revision: str | None = "shard_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "avatars",
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("hash", sa.String(12), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("avatars")
