"""Main DB: Slack Connect invitations to share a channel with another organisation.

Revision ID: main_0006
Revises: main_0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0006"
down_revision: str | None = "main_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_invites",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("channel_id", sa.String(16), nullable=False),
        sa.Column(
            "host_workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), nullable=False
        ),
        sa.Column("inviter_id", sa.String(16), nullable=False),
        sa.Column("target_workspace_id", sa.String(16), nullable=True),
        sa.Column("target_email", sa.String(254), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(16), nullable=True),
        sa.Column("accepted_workspace_id", sa.String(16), nullable=True),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_index("ix_shared_invites_host", "shared_invites", ["host_workspace_id", "state"])
    op.create_index("ix_shared_invites_target", "shared_invites", ["target_workspace_id", "state"])
    op.create_index("ix_shared_invites_email", "shared_invites", ["target_email", "state"])


def downgrade() -> None:
    op.drop_table("shared_invites")
