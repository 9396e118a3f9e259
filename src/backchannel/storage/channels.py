"""Shard: channels (public, private, DMs, group DMs) and their members."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from backchannel.models import Channel
from backchannel.storage.schema import channels, memberships


async def insert_channel_txn(conn: AsyncConnection, channel: Channel) -> None:
    await conn.execute(
        insert(channels).values(
            id=channel.id,
            workspace_id=channel.workspace_id,
            name=channel.name,
            is_private=channel.is_private,
            is_im=channel.is_im,
            is_mpim=channel.is_mpim,
            is_general=channel.is_general,
            is_archived=channel.is_archived,
            creator=channel.creator,
            created=channel.created,
            topic=channel.topic,
            purpose=channel.purpose,
        )
    )


async def delete_channel_txn(conn: AsyncConnection, channel_id: str) -> None:
    """Remove a channel that was never announced (undoing a half-made creation)."""
    await conn.execute(delete(memberships).where(memberships.c.channel_id == channel_id))
    await conn.execute(delete(channels).where(channels.c.id == channel_id))


async def get_channel_txn(conn: AsyncConnection, channel_id: str) -> Channel | None:
    row = (await conn.execute(select(channels).where(channels.c.id == channel_id))).first()
    return channel_from_row(row) if row else None


async def general_channel_txn(conn: AsyncConnection, workspace_id: str) -> Channel | None:
    query = select(channels).where(
        channels.c.workspace_id == workspace_id, channels.c.is_general.is_(True)
    )
    row = (await conn.execute(query)).first()
    return channel_from_row(row) if row else None


async def channel_by_name_txn(
    conn: AsyncConnection, workspace_id: str, name: str
) -> Channel | None:
    query = select(channels).where(channels.c.workspace_id == workspace_id, channels.c.name == name)
    row = (await conn.execute(query)).first()
    return channel_from_row(row) if row else None


async def add_member_txn(
    conn: AsyncConnection, *, channel_id: str, user_id: str, workspace_id: str, now: float
) -> None:
    await conn.execute(
        insert(memberships).values(
            channel_id=channel_id, user_id=user_id, workspace_id=workspace_id, joined=now
        )
    )


async def is_member_txn(conn: AsyncConnection, channel_id: str, user_id: str) -> bool:
    query = select(memberships.c.user_id).where(
        memberships.c.channel_id == channel_id, memberships.c.user_id == user_id
    )
    return await conn.scalar(query) is not None


async def count_members_txn(conn: AsyncConnection, channel_id: str) -> int:
    query = (
        select(func.count()).select_from(memberships).where(memberships.c.channel_id == channel_id)
    )
    return int(await conn.scalar(query) or 0)


def channel_from_row(row: Row) -> Channel:
    return Channel(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        is_private=bool(row.is_private),
        is_im=bool(row.is_im),
        is_mpim=bool(row.is_mpim),
        is_general=bool(row.is_general),
        is_archived=bool(row.is_archived),
        creator=row.creator,
        created=row.created,
        topic=row.topic,
        topic_creator=row.topic_creator,
        topic_last_set=row.topic_last_set,
        purpose=row.purpose,
        purpose_creator=row.purpose_creator,
        purpose_last_set=row.purpose_last_set,
        last_ts=row.last_ts,
    )
