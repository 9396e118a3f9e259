"""Shard: the durable event log, read by sequence (docs/realtime.md).

Each shard has one log: `event_stream` holds its epoch and the last sequence given out, and
`events` the events themselves. Appending bumps the head in the writer's transaction: on
PostgreSQL that row lock makes writers commit in sequence order, so a reader that has seen
sequence n has seen everything before it; on SQLite there is one writer anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from backchannel.models import Event, Position
from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import is_object, readable
from backchannel.storage.schema import event_stream, events


@dataclass(frozen=True)
class StreamState:
    epoch: str
    head: int  # the last sequence given out (0: none yet)
    pruned_through: int  # events up to here have been dropped by retention


_BUMP = (
    update(event_stream)
    .where(event_stream.c.id == 1)
    .values(head=event_stream.c.head + 1)
    .returning(event_stream.c.head, event_stream.c.epoch)
)


async def append_event_txn(
    conn: Conn, stream: str, event: Event, now: float, *, shared_with: Sequence[str] = ()
) -> Event:
    """Append one event to the log; the event back, with its position. `shared_with`: the
    other workspaces of a shared channel it is to be relayed to."""
    head, epoch = (await conn.execute(_BUMP)).one()
    values = {
        "seq": head,
        "workspace_id": event.workspace_id,
        "scope": event.scope,
        "channel_id": event.channel_id,
        "user_id": event.user_id,
        "membership": event.membership,
        "payload": event.payload,
        "created": now,
    }
    if shared_with:  # left out otherwise, so that the column is SQL NULL, not JSON null
        values["shared_with"] = list(shared_with)
    await conn.execute(insert(events).values(**values))
    return event.at(Position(stream, epoch, head))


@dataclass(frozen=True)
class SharedEvent:
    event: Event
    shared_with: tuple[str, ...]


async def shared_events_txn(
    conn: Conn, stream: str, epoch: str, *, after: int, limit: int
) -> list[SharedEvent]:
    """The log's events of shared channels after `after`, in order (for the relay)."""
    query = (
        select(events)
        .where(events.c.seq > after, events.c.shared_with.is_not(None))
        .order_by(events.c.seq)
        .limit(limit)
    )
    return [
        SharedEvent(_event_from_row(row, stream, epoch), tuple(row.shared_with or ()))
        for row in await conn.execute(query)
    ]


async def stream_state_txn(conn: Conn) -> StreamState:
    row = (await conn.execute(select(event_stream).where(event_stream.c.id == 1))).one()
    return StreamState(row.epoch, row.head, row.pruned_through)


async def read_stream_txn(
    conn: Conn, stream: str, epoch: str, *, after: int, limit: int, workspace_id: str | None = None
) -> list[Event]:
    """Every event of the log after `after` (of one workspace), in order (an edge filling a
    gap, an app's delivery)."""
    query = select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    if workspace_id is not None:
        query = query.where(events.c.workspace_id == workspace_id)
    return [_event_from_row(row, stream, epoch) for row in await conn.execute(query)]


async def membership_changes_txn(
    conn: Conn, user_id: str, *, after: int, through: int
) -> list[tuple[str, str]]:
    """(channel, "join" or "leave") for each change of `user_id`'s memberships, in order."""
    query = (
        select(events.c.channel_id, events.c.membership)
        .where(
            events.c.user_id == user_id,
            events.c.membership.is_not(None),
            events.c.seq > after,
            events.c.seq <= through,
        )
        .order_by(events.c.seq)
    )
    return [(row.channel_id, row.membership) for row in await conn.execute(query)]


async def events_for_txn(
    conn: Conn,
    stream: str,
    epoch: str,
    *,
    workspace_id: str,
    user_id: str,
    channels: Sequence[str],
    after: int,
    through: int,
    limit: int,
) -> list[Event]:
    """The events of a workspace that may concern one user, in order: those to the whole
    workspace, to the user, or in one of `channels`. The caller filters exactly."""
    concerning = or_(
        events.c.scope == "workspace",
        events.c.user_id == user_id,
        events.c.channel_id.in_(list(channels)),
    )
    query = (
        select(events)
        .where(
            events.c.workspace_id == workspace_id,
            events.c.seq > after,
            events.c.seq <= through,
            concerning,
        )
        .order_by(events.c.seq)
        .limit(limit)
    )
    return [_event_from_row(row, stream, epoch) for row in await conn.execute(query)]


async def last_expired_txn(conn: Conn, *, created_before: float) -> int | None:
    """The last sequence of the events older than `created_before`, if any."""
    last = await conn.scalar(
        select(func.max(events.c.seq)).where(events.c.created < created_before)
    )
    return None if last is None else int(last)


async def prune_events_txn(conn: Conn, *, through: int) -> int:
    """Drop the events up to `through`; resuming from before them is then `limited`."""
    removed = await conn.execute(delete(events).where(events.c.seq <= through))
    await conn.execute(
        update(event_stream)
        .where(event_stream.c.id == 1, event_stream.c.pruned_through < through)
        .values(pruned_through=through)
    )
    return int(removed.rowcount or 0)


def _event_from_row(row: Any, stream: str, epoch: str) -> Event:
    """An event of the log; one whose payload cannot be shown keeps its place and its
    membership change, with an empty payload that the edge sends to nobody."""
    payload = readable(row.payload, is_object, "payload", f"event {stream}/{row.seq}")
    return Event(
        workspace_id=row.workspace_id,
        scope=row.scope,
        payload=payload or {},
        channel_id=row.channel_id,
        user_id=row.user_id,
        membership=row.membership,
        position=Position(stream, epoch, row.seq),
    )
