"""Shard: who is in which conversation, and from which of their workspaces' seats (a shared
channel's members come from several workspaces)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, delete, func, insert, select

from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channels, memberships
from backchannel.storage.shard.channels import MAX_GROUP_DM, scope_clause

_MEMBERSHIP = select(memberships.c.user_id).where(
    memberships.c.channel_id == bindparam("channel_id"),
    memberships.c.user_id == bindparam("user_id"),
)


async def add_member_txn(
    conn: Conn, *, channel_id: str, user_id: str, workspace_id: str, now: float
) -> None:
    await conn.execute(
        insert(memberships).values(
            channel_id=channel_id, user_id=user_id, workspace_id=workspace_id, joined=now
        )
    )


async def is_member_txn(conn: Conn, channel_id: str, user_id: str) -> bool:
    found = await conn.scalar(_MEMBERSHIP, {"channel_id": channel_id, "user_id": user_id})
    return found is not None


async def count_members_txn(conn: Conn, channel_id: str) -> int:
    query = (
        select(func.count()).select_from(memberships).where(memberships.c.channel_id == channel_id)
    )
    return int(await conn.scalar(query) or 0)


async def remove_member_txn(conn: Conn, channel_id: str, user_id: str) -> None:
    await conn.execute(
        delete(memberships).where(
            memberships.c.channel_id == channel_id, memberships.c.user_id == user_id
        )
    )


async def remove_workspace_members_txn(conn: Conn, channel_id: str, workspace_id: str) -> list[str]:
    """Take one workspace's people out of a channel (a disconnect); who they were."""
    theirs = (memberships.c.channel_id == channel_id) & (memberships.c.workspace_id == workspace_id)
    removed = list(
        await conn.scalars(
            select(memberships.c.user_id).where(theirs).order_by(memberships.c.user_id)
        )
    )
    await conn.execute(delete(memberships).where(theirs))
    return removed


async def every_member_txn(
    conn: Conn, workspace_id: str, *, among: Collection[str] | None = None
) -> list[tuple[str, str, str]]:
    """(channel id, member id, the member's workspace) of every membership of the
    workspace's conversations (or of `among`), by channel and member."""
    query = (
        select(memberships.c.channel_id, memberships.c.user_id, memberships.c.workspace_id)
        .join(channels, channels.c.id == memberships.c.channel_id)
        .where(scope_clause(workspace_id, among))
        .order_by(memberships.c.channel_id, memberships.c.user_id)
    )
    return [(str(c), str(u), str(w)) for c, u, w in await conn.execute(query)]


async def member_counts_txn(conn: Conn, channel_ids: Sequence[str]) -> dict[str, int]:
    query = (
        select(memberships.c.channel_id, func.count())
        .where(memberships.c.channel_id.in_(channel_ids))
        .group_by(memberships.c.channel_id)
    )
    return {channel_id: int(count) for channel_id, count in await conn.execute(query)}


async def joined_of_txn(
    conn: Conn, user_id: str, channel_ids: Sequence[str], *, from_workspace: str | None = None
) -> set[str]:
    """Which of these channels `user_id` is in (with `from_workspace`: joined from that
    seat of theirs)."""
    query = select(memberships.c.channel_id).where(
        memberships.c.user_id == user_id, memberships.c.channel_id.in_(channel_ids)
    )
    if from_workspace is not None:
        query = query.where(memberships.c.workspace_id == from_workspace)
    return set(await conn.scalars(query))


async def co_member_workspace_txn(
    conn: Conn, viewer: str, user_id: str, channel_ids: Sequence[str]
) -> str | None:
    """The workspace `user_id` is in one of these channels from, if `viewer` is in it too."""
    mine = memberships.alias("mine")
    query = (
        select(memberships.c.workspace_id)
        .join(mine, mine.c.channel_id == memberships.c.channel_id)
        .where(
            memberships.c.user_id == user_id,
            mine.c.user_id == viewer,
            memberships.c.channel_id.in_(channel_ids),
        )
        .limit(1)
    )
    found = await conn.scalar(query)
    return None if found is None else str(found)


async def member_channel_ids_txn(conn: Conn, workspace_id: str, user_id: str) -> list[str]:
    """Every conversation `user_id` is in from this workspace's seat (channels, DMs, group
    DMs)."""
    query = select(memberships.c.channel_id).where(
        memberships.c.user_id == user_id, memberships.c.workspace_id == workspace_id
    )
    return list(await conn.scalars(query))


async def members_txn(conn: Conn, channel_id: str, *, after_id: str = "", limit: int) -> list[str]:
    """A page of a channel's member ids, in id order."""
    query = (
        select(memberships.c.user_id)
        .where(memberships.c.channel_id == channel_id, memberships.c.user_id > after_id)
        .order_by(memberships.c.user_id)
        .limit(limit)
    )
    return list(await conn.scalars(query))


async def direct_members_txn(conn: Conn, channel_ids: Sequence[str]) -> dict[str, list[str]]:
    """The people of DMs and group DMs (small by construction), in the order they joined."""
    query = (
        select(memberships.c.channel_id, memberships.c.user_id)
        .where(memberships.c.channel_id.in_(channel_ids))
        .order_by(memberships.c.joined, memberships.c.user_id)
        .limit(len(channel_ids) * MAX_GROUP_DM)
    )
    found: dict[str, list[str]] = {}
    for channel_id, user_id in await conn.execute(query):
        found.setdefault(channel_id, []).append(user_id)
    return found
