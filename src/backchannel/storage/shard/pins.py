"""Shard: messages pinned to their channel."""

from __future__ import annotations

from sqlalchemy import and_, delete, insert, select

from backchannel.models import Pin
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import messages, pins
from backchannel.storage.shard.messages import message_from_row


async def add_pin_txn(conn: Conn, *, channel_id: str, ts: str, pinned_by: str, now: float) -> None:
    await conn.execute(
        insert(pins).values(channel_id=channel_id, ts=ts, pinned_by=pinned_by, created=now)
    )


async def is_pinned_txn(conn: Conn, channel_id: str, ts: str) -> bool:
    query = select(pins.c.created).where(pins.c.channel_id == channel_id, pins.c.ts == ts)
    return await conn.scalar(query) is not None


async def remove_pin_txn(conn: Conn, channel_id: str, ts: str) -> bool:
    """Unpin a message; False when it was not pinned."""
    result = await conn.execute(
        delete(pins).where(pins.c.channel_id == channel_id, pins.c.ts == ts)
    )
    return bool(result.rowcount)


async def list_pins_txn(conn: Conn, channel_id: str) -> list[Pin]:
    """The channel's pinned messages, the most recently pinned first."""
    query = (
        select(messages, pins.c.pinned_by, pins.c.created.label("pinned_at"))
        .join(pins, and_(pins.c.channel_id == messages.c.channel_id, pins.c.ts == messages.c.ts))
        .where(pins.c.channel_id == channel_id)
        .order_by(pins.c.created.desc(), pins.c.ts.desc())
    )
    return [
        Pin(message_from_row(row), row.pinned_by, row.pinned_at)
        for row in await conn.execute(query)
    ]
