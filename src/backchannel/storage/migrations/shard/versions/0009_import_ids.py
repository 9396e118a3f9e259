"""Shard: what an import made of each outside id (docs/slack-export.md).

`import_ids` maps (workspace, kind, the source's id) to the id made for it here, so that
running an import again reuses what it made instead of making it twice.

Revision ID: shard_0009
Revises: shard_0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0009"
down_revision: str | None = "shard_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_ids",
        sa.Column("workspace_id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("local_id", sa.String(16), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_ids")
