"""Shard: a workspace's references to channels shared with it, and how far this shard's log
has taken in other logs' shared-channel events (docs/organisations.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channel_refs, relay_positions


@dataclass(frozen=True)
class ChannelRef:
    channel_id: str
    host_workspace_id: str


async def add_ref_txn(
    conn: Conn, workspace_id: str, channel_id: str, host_workspace_id: str, now: float
) -> None:
    """Reference a channel another workspace shares with `workspace_id` (once)."""
    if await has_ref_txn(conn, workspace_id, channel_id):
        return
    await conn.execute(
        insert(channel_refs).values(
            workspace_id=workspace_id,
            channel_id=channel_id,
            host_workspace_id=host_workspace_id,
            since=now,
        )
    )


async def has_ref_txn(conn: Conn, workspace_id: str, channel_id: str) -> bool:
    query = select(channel_refs.c.channel_id).where(
        channel_refs.c.workspace_id == workspace_id, channel_refs.c.channel_id == channel_id
    )
    return await conn.scalar(query) is not None


async def remove_ref_txn(conn: Conn, workspace_id: str, channel_id: str) -> None:
    await conn.execute(
        delete(channel_refs).where(
            channel_refs.c.workspace_id == workspace_id, channel_refs.c.channel_id == channel_id
        )
    )


async def refs_txn(
    conn: Conn, workspace_id: str, *, after_id: str = "", limit: int | None = None
) -> list[ChannelRef]:
    """The channels shared with the workspace, by id."""
    query = (
        select(channel_refs.c.channel_id, channel_refs.c.host_workspace_id)
        .where(channel_refs.c.workspace_id == workspace_id, channel_refs.c.channel_id > after_id)
        .order_by(channel_refs.c.channel_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [ChannelRef(row.channel_id, row.host_workspace_id) for row in await conn.execute(query)]


@dataclass(frozen=True)
class RelayPosition:
    epoch: str
    seq: int


async def relay_position_txn(
    conn: Conn, source: str, *, for_update: bool = False
) -> RelayPosition | None:
    query = select(relay_positions).where(relay_positions.c.source == source)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return RelayPosition(row.epoch, row.seq) if row else None


async def relay_sources_txn(conn: Conn) -> list[str]:
    return list(await conn.scalars(select(relay_positions.c.source)))


async def set_relay_position_txn(conn: Conn, source: str, position: RelayPosition) -> None:
    """Record how far the copies go; the first time, where they start."""
    values = {"epoch": position.epoch, "seq": position.seq}
    result = await conn.execute(
        update(relay_positions).where(relay_positions.c.source == source).values(**values)
    )
    if not result.rowcount:
        await conn.execute(insert(relay_positions).values(source=source, **values))
