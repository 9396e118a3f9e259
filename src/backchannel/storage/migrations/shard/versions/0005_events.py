"""Shard: the durable event log and single-use websocket tickets (docs/realtime.md).

Revision ID: shard_0005
Revises: shard_0004
Create Date: 2026-11-26
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0005"
down_revision: str | None = "shard_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    stream = op.create_table(
        "event_stream",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.String(16), nullable=False),
        sa.Column("head", SEQ, nullable=False),
        sa.Column("pruned_through", SEQ, nullable=False),
    )
    # A fresh epoch per log: a client's resume token from another log (a restored backup,
    # a workspace moved to another shard) is recognised as not ours.
    op.bulk_insert(
        stream, [{"id": 1, "epoch": secrets.token_hex(4), "head": 0, "pruned_through": 0}]
    )
    op.create_table(
        "events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("channel_id", sa.String(16), nullable=True),
        sa.Column("user_id", sa.String(16), nullable=True),
        sa.Column("membership", sa.String(8), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("ix_events_workspace", "events", ["workspace_id", "seq"])
    op.create_index("ix_events_user", "events", ["user_id", "seq"])
    op.create_index("ix_events_created", "events", ["created"])
    op.create_table(
        "rtm_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
        sa.Column("since_epoch", sa.String(16), nullable=False),
        sa.Column("since_seq", SEQ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rtm_tickets")
    op.drop_table("events")
    op.drop_table("event_stream")
