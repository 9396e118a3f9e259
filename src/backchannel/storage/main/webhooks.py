"""Main DB: incoming webhooks, each with the SHA-256 of its URL's secret."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from backchannel.models import Webhook
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import webhooks


async def insert_webhook_txn(conn: Conn, webhook: Webhook, token_hash: str) -> None:
    await conn.execute(
        insert(webhooks).values(
            id=webhook.id,
            token_hash=token_hash,
            workspace_id=webhook.workspace_id,
            channel_id=webhook.channel_id,
            bot_user_id=webhook.bot_user_id,
            created_by=webhook.created_by,
            created=webhook.created,
            revoked=webhook.revoked,
        )
    )


async def webhook_txn(conn: Conn, webhook_id: str) -> tuple[Webhook, str] | None:
    """The webhook and the hash of its secret."""
    row = (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).first()
    return (_webhook(row), row.token_hash) if row else None


async def revoke_webhook_txn(conn: Conn, webhook_id: str, now: float) -> bool:
    result = await conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.revoked.is_(None))
        .values(revoked=now)
    )
    return bool(result.rowcount)


def _webhook(row: Row) -> Webhook:
    return Webhook(
        id=row.id,
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        bot_user_id=row.bot_user_id,
        created_by=row.created_by,
        created=row.created,
        revoked=row.revoked,
    )
