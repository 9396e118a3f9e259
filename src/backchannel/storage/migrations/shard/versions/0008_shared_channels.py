"""Shard: channels shared between workspaces (docs/organisations.md).

A shared channel stays on its home shard, which lists the other workspaces in
`channels.shared_with`; each of them holds a `channel_refs` row on its own shard. An event
in a shared channel is logged once, at home, with the workspaces it concerns
(`events.shared_with`), and relayed into their shards' logs (`relay_positions` says how far).
A message from another workspace's person keeps that workspace (`messages.user_team`).

Revision ID: shard_0008
Revises: shard_0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0008"
down_revision: str | None = "shard_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("shared_with", sa.JSON, nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("shared_with", sa.JSON, nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("user_team", sa.String(16), nullable=True))
    op.create_table(
        "channel_refs",
        sa.Column("workspace_id", sa.String(16), primary_key=True),
        sa.Column("channel_id", sa.String(16), primary_key=True),
        sa.Column("host_workspace_id", sa.String(16), nullable=False),
        sa.Column("since", sa.Float, nullable=False),
    )
    op.create_table(
        "relay_positions",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("epoch", sa.String(16), nullable=False),
        sa.Column("seq", SEQ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("relay_positions")
    op.drop_table("channel_refs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("user_team")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("shared_with")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("shared_with")
