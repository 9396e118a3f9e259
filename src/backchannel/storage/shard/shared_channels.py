"""Shard: channels shared across workspaces (docs/organisations.md): the workspaces a
channel is shared with (its row's `shared_with`), a workspace's references to channels
shared with it, and how far this shard's log has taken in other logs' shared-channel
events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from backchannel.models import SharedTeam
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channel_refs, channels, relay_positions


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


async def own_shared_ids_txn(conn: Conn, workspace_id: str) -> list[str]:
    """The workspace's own channels that it shares with others."""
    query = select(channels.c.id).where(
        channels.c.workspace_id == workspace_id, channels.c.shared_with.is_not(None)
    )
    return [str(channel_id) for channel_id in await conn.scalars(query)]


def shared_teams_from_json(stored: Any) -> tuple[SharedTeam, ...]:
    """channels.shared_with as stored: [{"team": "T...", "kind": "org"}, ...] or null."""
    return tuple(SharedTeam(str(team["team"]), str(team["kind"])) for team in stored or ())


def shared_teams_json(teams: Sequence[SharedTeam]) -> list[dict[str, str]] | None:
    return [{"team": team.id, "kind": team.kind} for team in teams] or None


async def set_shared_with_txn(conn: Conn, channel_id: str, teams: Sequence[SharedTeam]) -> None:
    await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(shared_with=shared_teams_json(teams))
    )


async def shared_with_txn(conn: Conn, channel_id: str) -> tuple[SharedTeam, ...]:
    """The other workspaces of a channel (none for an unshared or unknown one)."""
    stored = await conn.scalar(select(channels.c.shared_with).where(channels.c.id == channel_id))
    return shared_teams_from_json(stored)
