"""Shard: a websocket ticket names the token it was asked for with (docs/realtime.md).

`rtm_tickets.token_hash` is that token's SHA-256: the edge refuses a ticket whose token was
revoked since, and closes the socket when it is. Tickets live 30 seconds: the ones there
are go (their clients ask rtm.connect again), so the column needs no default.

Revision ID: shard_0011
Revises: shard_0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shard_0011"
down_revision: str | None = "shard_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM rtm_tickets")
    with op.batch_alter_table("rtm_tickets") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rtm_tickets") as batch:
        batch.drop_column("token_hash")
