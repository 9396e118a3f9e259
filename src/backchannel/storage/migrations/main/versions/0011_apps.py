"""Main DB: Slack apps (docs/apps.md). An app installed in a workspace, how far it has
acknowledged the workspace's event log, and the scopes and app of each token (a person's
own tokens have none: they keep the person's full rights).

Revision ID: main_0011
Revises: main_0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0011"
down_revision: str | None = "main_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("bot_id", sa.String(16), nullable=False),
        sa.Column("bot_user_id", sa.String(16), nullable=False),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("signing_secret", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("client_secret_hash", sa.String(64), nullable=False),
        sa.Column("installed_by", sa.String(16), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("uninstalled", sa.Float, nullable=True),
        sa.Column("url_verified", sa.Float, nullable=True),
        sa.Column("delivery_disabled", sa.Float, nullable=True),
        sa.Column("delivery_error", sa.Text, nullable=True),
    )
    op.create_index("ix_apps_workspace", "apps", ["workspace_id"])
    op.create_table(
        "app_positions",
        sa.Column("app_id", sa.String(16), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("epoch", sa.String(16), nullable=False),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("sent", SEQ, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON, nullable=True))
        batch.add_column(sa.Column("app_id", sa.String(16), nullable=True))
        batch.create_index("ix_tokens_app", ["app_id"])


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_index("ix_tokens_app")
        batch.drop_column("app_id")
        batch.drop_column("scopes")
    op.drop_table("app_positions")
    op.drop_index("ix_apps_workspace", table_name="apps")
    op.drop_table("apps")
