"""Main DB: organisation-wide channels, shared with every workspace of their organisation,
the ones created later too (admin.conversations.setTeams with org_channel).

Revision ID: main_0007
Revises: main_0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0007"
down_revision: str | None = "main_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_channels",
        sa.Column("org_id", sa.String(16), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("channel_id", sa.String(16), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_channels")
