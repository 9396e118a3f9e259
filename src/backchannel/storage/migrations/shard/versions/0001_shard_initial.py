"""Shard: users, bots, channels, memberships, messages, reactions, pins.

Revision ID: shard_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    no = sa.false()
    op.create_table(
        "users",
        sa.Column("id", sa.String(16), primary_key=True),
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
        sa.UniqueConstraint("workspace_id", "name", name="uq_users_workspace_name"),
    )
    op.create_table(
        "bots",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(16), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=no),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(80), nullable=True),
        sa.Column("is_private", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_im", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_mpim", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_general", sa.Boolean, nullable=False, server_default=no),
        sa.Column("is_archived", sa.Boolean, nullable=False, server_default=no),
        sa.Column("creator", sa.String(16), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("topic", sa.Text, nullable=False, server_default=""),
        sa.Column("topic_creator", sa.String(16), nullable=True),
        sa.Column("topic_last_set", sa.Float, nullable=True),
        sa.Column("purpose", sa.Text, nullable=False, server_default=""),
        sa.Column("purpose_creator", sa.String(16), nullable=True),
        sa.Column("purpose_last_set", sa.Float, nullable=True),
        sa.Column("last_ts", sa.String(20), nullable=True),
        sa.UniqueConstraint("workspace_id", "name", name="uq_channels_workspace_name"),
    )
    op.create_table(
        "memberships",
        sa.Column("channel_id", sa.String(16), sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("joined", sa.Float, nullable=False),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("channel_id", sa.String(16), sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("ts", sa.String(20), primary_key=True),
        sa.Column("workspace_id", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(16), nullable=True),
        sa.Column("bot_id", sa.String(16), nullable=True),
        sa.Column("subtype", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("thread_ts", sa.String(20), nullable=True),
        sa.Column("reply_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("latest_reply", sa.String(20), nullable=True),
        sa.Column("reply_broadcast", sa.Boolean, nullable=False, server_default=no),
        sa.Column("blocks", sa.JSON, nullable=True),
        sa.Column("attachments", sa.JSON, nullable=True),
        sa.Column("client_msg_id", sa.String(64), nullable=True),
        sa.Column("edited_ts", sa.String(20), nullable=True),
        sa.Column("edited_user", sa.String(16), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=no),
        sa.UniqueConstraint("channel_id", "client_msg_id", name="uq_messages_client_msg_id"),
    )
    op.create_index("ix_messages_thread", "messages", ["channel_id", "thread_ts", "ts"])
    op.create_table(
        "reactions",
        sa.Column("channel_id", sa.String(16), primary_key=True),
        sa.Column("ts", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("user_id", sa.String(16), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "pins",
        sa.Column("channel_id", sa.String(16), primary_key=True),
        sa.Column("ts", sa.String(20), primary_key=True),
        sa.Column("pinned_by", sa.String(16), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_thread", table_name="messages")
    op.drop_index("ix_memberships_user", table_name="memberships")
    for table in ("pins", "reactions", "messages", "memberships", "channels", "bots", "users"):
        op.drop_table(table)
