"""Shard: one person, a seat in several workspaces of an organisation (docs/organisations.md).

A person keeps one id in every workspace of their organisation, and two of those workspaces
may share a shard: a user row is now keyed by (id, workspace_id). bots.user_id loses its
foreign key to users.id, which is no longer unique on its own.

Revision ID: shard_0007
Revises: shard_0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0007"
down_revision: str | None = "shard_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _users(keys: tuple[str, ...]) -> sa.Table:
    no = sa.false()
    return sa.Table(
        "users",
        sa.MetaData(),
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("real_name", sa.String(250), nullable=False, server_default=""),
        sa.Column("display_name", sa.String(250), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_owner", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_bot", sa.Boolean, nullable=False, server_default=no),
        sa.Column("bot_id", sa.String(16), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=no),
        sa.Column("tz", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("presence", sa.String(8), nullable=False, server_default="auto"),
        sa.PrimaryKeyConstraint(*keys),
        sa.UniqueConstraint("workspace_id", "name", name="uq_users_workspace_name"),
    )


def _bots(*user_fk: sa.ForeignKey) -> sa.Table:
    return sa.Table(
        "bots",
        sa.MetaData(),
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(16), *user_fk, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated", sa.Float, nullable=False),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite changes a key only by copying the table into a new one.
        with op.batch_alter_table("bots", copy_from=_bots(), recreate="always"):
            pass
        with op.batch_alter_table(
            "users", copy_from=_users(("id", "workspace_id")), recreate="always"
        ):
            pass
        return
    op.drop_constraint("bots_user_id_fkey", "bots", type_="foreignkey")
    op.drop_constraint("users_pkey", "users", type_="primary")
    op.create_primary_key("users_pkey", "users", ["id", "workspace_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("users", copy_from=_users(("id",)), recreate="always"):
            pass
        fk = sa.ForeignKey("users.id")
        with op.batch_alter_table("bots", copy_from=_bots(fk), recreate="always"):
            pass
        return
    op.drop_constraint("users_pkey", "users", type_="primary")
    op.create_primary_key("users_pkey", "users", ["id"])
    op.create_foreign_key("bots_user_id_fkey", "bots", "users", ["user_id"], ["id"])
