"""Main DB: the edge processes, each with its URL, the message-server shards it serves and
its heartbeat; ms_shards.url (main_0003) goes (docs/edge-cache.md, Routing).

Revision ID: main_0008
Revises: main_0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0008"
down_revision: str | None = "main_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "edges",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("ms_shards", sa.JSON, nullable=True),  # null: every message-server shard
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("heartbeat", sa.Float, nullable=False),
        sa.Column("heartbeat_seconds", sa.Float, nullable=False),
    )
    # Not in a batch: on SQLite a batch copies the table, and dropping the old copy would
    # break the workspaces' foreign keys. SQLite (3.35 and later) drops a column in place.
    op.drop_column("ms_shards", "url")


def downgrade() -> None:
    # The edges register again when they next start.
    op.add_column("ms_shards", sa.Column("url", sa.Text, nullable=True))
    op.drop_table("edges")
