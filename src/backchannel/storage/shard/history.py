"""Shard: reading a channel's history and its threads, and where each member has read to.

Pages are fetched by ts range, newest first for history and oldest first for threads; the
callers ask for one row more than they show, to know whether there is more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from backchannel.models import Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import messages, pins, read_markers
from backchannel.storage.shard.messages import message_from_row


@dataclass(frozen=True)
class TsRange:
    """Bounds on ts, in microseconds since the epoch; None is unbounded."""

    oldest: int | None = None
    latest: int | None = None
    inclusive_oldest: bool = False
    inclusive_latest: bool = False


async def history_txn(conn: Conn, channel_id: str, within: TsRange, *, limit: int) -> list[Message]:
    """Messages shown in the channel itself, newest first.

    Thread replies live in their thread; one also sent to the channel (reply_broadcast)
    shows in both.
    """
    in_channel = or_(
        messages.c.thread_ts.is_(None),
        messages.c.thread_ts == messages.c.ts,
        messages.c.reply_broadcast.is_(True),
    )
    query = select(messages).where(
        messages.c.channel_id == channel_id, messages.c.deleted.is_(False), in_channel
    )
    query = _within(query, within).order_by(messages.c.ts.desc()).limit(limit)
    return [message_from_row(row) for row in await conn.execute(query)]


async def thread_txn(
    conn: Conn, channel_id: str, thread_ts: str, within: TsRange, *, limit: int
) -> list[Message]:
    """A thread's replies (not its root), oldest first."""
    query = select(messages).where(
        messages.c.channel_id == channel_id,
        messages.c.thread_ts == thread_ts,
        messages.c.ts != thread_ts,
        messages.c.deleted.is_(False),
    )
    query = _within(query, within).order_by(messages.c.ts).limit(limit)
    return [message_from_row(row) for row in await conn.execute(query)]


def _within(query: Select, within: TsRange) -> Select:
    ts = messages.c.ts
    conditions: list[ColumnElement[bool]] = []
    if within.oldest is not None:
        oldest = _as_ts(within.oldest)
        conditions.append(ts >= oldest if within.inclusive_oldest else ts > oldest)
    if within.latest is not None:
        latest = _as_ts(within.latest)
        conditions.append(ts <= latest if within.inclusive_latest else ts < latest)
    return query.where(*conditions)


def _as_ts(micros: int) -> str:
    """A bound written like a stored ts, with 10 digits of seconds, so that the database's
    text comparison orders it right against every message (whatever time it names)."""
    seconds, fraction = divmod(min(micros, 10**16 - 1), 1_000_000)
    return f"{seconds:010d}.{fraction:06d}"


async def pin_count_txn(conn: Conn, channel_id: str) -> int:
    query = select(func.count()).select_from(pins).where(pins.c.channel_id == channel_id)
    return int(await conn.scalar(query) or 0)


async def read_marker_txn(conn: Conn, channel_id: str, user_id: str) -> str | None:
    query = select(read_markers.c.last_read).where(
        read_markers.c.channel_id == channel_id, read_markers.c.user_id == user_id
    )
    found = await conn.scalar(query)
    return str(found) if found is not None else None


async def set_read_marker_txn(
    conn: Conn, channel_id: str, user_id: str, ts: str, now: float
) -> None:
    """Record where a member has read to (moving it back is allowed, as in Slack)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"channel_id": channel_id, "user_id": user_id, "last_read": ts, "updated": now}
    # One statement, so two concurrent marks cannot both try to insert the row.
    statement = (
        dialect.insert(read_markers)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[read_markers.c.channel_id, read_markers.c.user_id],
            set_={"last_read": ts, "updated": now},
        )
    )
    await conn.execute(statement)
