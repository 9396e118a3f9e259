"""Main DB: organisations, workspaces, shard map, credentials, tokens.

Revision ID: main_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "db_shards",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="primary"),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "ms_shards",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("keyspace", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False, unique=True),
        sa.Column("org_id", sa.String(16), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("db_shard", sa.String(64), sa.ForeignKey("db_shards.name"), nullable=False),
        sa.Column("ms_shard", sa.String(64), sa.ForeignKey("ms_shards.name"), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "topology_versions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.UniqueConstraint("workspace_id", "email", name="uq_credentials_workspace_email"),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(16), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("revoked", sa.Float, nullable=True),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_tokens_user_id", table_name="tokens")
    for table in (
        "tokens",
        "credentials",
        "topology_versions",
        "workspaces",
        "ms_shards",
        "db_shards",
        "organisations",
    ):
        op.drop_table(table)
