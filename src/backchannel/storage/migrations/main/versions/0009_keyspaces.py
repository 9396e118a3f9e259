"""Main DB: the workspaces' shard assignments move out of `workspaces` into `keyspaces`,
the main DB's topology store (router/topology_main.py), which may be etcd instead; a DB
shard may name a streaming replica (docs/router.md, Topology).

Revision ID: main_0009
Revises: main_0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "main_0009"
down_revision: str | None = "main_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("db_shards", sa.Column("replica_url", sa.Text, nullable=True))
    op.create_table(
        "keyspaces",
        sa.Column("keyspace", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("db_shard", sa.String(64), sa.ForeignKey("db_shards.name"), nullable=False),
        sa.Column("ms_shard", sa.String(64), sa.ForeignKey("ms_shards.name"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="serving"),
    )
    op.execute(
        "INSERT INTO keyspaces (keyspace, workspace_id, db_shard, ms_shard, state) "
        "SELECT keyspace, id, db_shard, ms_shard, 'serving' FROM workspaces"
    )
    # On SQLite the batch copies the table; storage/migrate.py runs migrations there with
    # foreign keys off (and checks them after), as SQLite's own table-rebuild recipe says.
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("db_shard")
        batch.drop_column("ms_shard")


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("db_shard", sa.String(64), nullable=True))
        batch.add_column(sa.Column("ms_shard", sa.String(64), nullable=True))
    op.execute(
        "UPDATE workspaces SET "
        "db_shard = (SELECT db_shard FROM keyspaces k WHERE k.keyspace = workspaces.keyspace), "
        "ms_shard = (SELECT ms_shard FROM keyspaces k WHERE k.keyspace = workspaces.keyspace)"
    )
    op.drop_table("keyspaces")
    op.drop_column("db_shards", "replica_url")
