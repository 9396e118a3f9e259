"""Main DB: incoming webhooks (the URL's secret is stored only as a SHA-256).

Revision ID: main_0002
Revises: main_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0002"
down_revision: str | None = "main_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("channel_id", sa.String(16), nullable=False),
        sa.Column("bot_user_id", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(16), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("revoked", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("webhooks")
