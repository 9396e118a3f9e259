"""Main DB: the seats of an organisation's people and its admins (docs/organisations.md).

A seat is one workspace a person belongs to; a person of an organisation may have several,
with one id. Every existing person gets the seat of the workspace they signed up in.

Revision ID: main_0005
Revises: main_0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0005"
down_revision: str | None = "main_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seats",
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), primary_key=True),
        sa.Column("joined", sa.Float, nullable=False),
    )
    op.create_index("ix_seats_workspace", "seats", ["workspace_id"])
    op.execute(
        "INSERT INTO seats (user_id, workspace_id, joined) "
        "SELECT user_id, workspace_id, 0 FROM credentials"
    )
    op.create_table(
        "org_admins",
        sa.Column("org_id", sa.String(16), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_admins")
    op.drop_index("ix_seats_workspace", table_name="seats")
    op.drop_table("seats")
