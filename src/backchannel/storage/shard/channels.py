"""Shard: conversations (public and private channels, DMs, group DMs): their rows, their
settings, and the pages of them a person may list. Who is in them is in memberships.py;
the workspaces a channel is shared with, in shared_channels.py."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from backchannel.models import Channel
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channels, memberships
from backchannel.storage.shard.shared_channels import shared_teams_from_json

# Slack's conversation types, as `types=` names them.
PUBLIC, PRIVATE, MPIM, IM = "public_channel", "private_channel", "mpim", "im"

KINDS = (PUBLIC, PRIVATE, MPIM, IM)

MAX_GROUP_DM = 9  # a group DM holds at most 9 people (its opener and 8 more)


async def insert_channel_txn(conn: Conn, channel: Channel) -> None:
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


async def delete_channel_txn(conn: Conn, channel_id: str) -> None:
    """Remove a channel that was never announced (undoing a half-made creation)."""
    await conn.execute(delete(memberships).where(memberships.c.channel_id == channel_id))
    await conn.execute(delete(channels).where(channels.c.id == channel_id))


# The two statements every conversation verb runs (services/conversations/access.py: the channel, a
# membership) are built once: building one costs more than running it.
_CHANNEL_BY_ID = select(channels).where(channels.c.id == bindparam("channel_id"))


async def get_channel_txn(conn: Conn, channel_id: str) -> Channel | None:
    row = (await conn.execute(_CHANNEL_BY_ID, {"channel_id": channel_id})).first()
    return channel_from_row(row) if row else None


async def general_channel_txn(conn: Conn, workspace_id: str) -> Channel | None:
    query = select(channels).where(
        channels.c.workspace_id == workspace_id, channels.c.is_general.is_(True)
    )
    row = (await conn.execute(query)).first()
    return channel_from_row(row) if row else None


async def channel_by_name_txn(conn: Conn, workspace_id: str, name: str) -> Channel | None:
    query = select(channels).where(channels.c.workspace_id == workspace_id, channels.c.name == name)
    row = (await conn.execute(query)).first()
    return channel_from_row(row) if row else None


async def set_archived_txn(conn: Conn, channel_id: str, *, archived: bool) -> None:
    await conn.execute(
        update(channels).where(channels.c.id == channel_id).values(is_archived=archived)
    )


async def rename_channel_txn(conn: Conn, channel_id: str, name: str) -> None:
    await conn.execute(update(channels).where(channels.c.id == channel_id).values(name=name))


async def set_topic_txn(
    conn: Conn, channel_id: str, *, topic: str, creator: str, now: float
) -> None:
    await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(topic=topic, topic_creator=creator, topic_last_set=now)
    )


async def set_purpose_txn(
    conn: Conn, channel_id: str, *, purpose: str, creator: str, now: float
) -> None:
    await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(purpose=purpose, purpose_creator=creator, purpose_last_set=now)
    )


def kind_clause(kinds: Collection[str]) -> ColumnElement[bool]:
    """Channels of the given Slack types (public_channel, private_channel, mpim, im)."""
    plain = and_(channels.c.is_im.is_(False), channels.c.is_mpim.is_(False))
    clauses = {
        PUBLIC: and_(plain, channels.c.is_private.is_(False)),
        PRIVATE: and_(plain, channels.c.is_private.is_(True)),
        MPIM: channels.c.is_mpim.is_(True),
        IM: channels.c.is_im.is_(True),
    }
    return or_(*(clauses[kind] for kind in kinds))


async def visible_channels_txn(
    conn: Conn,
    workspace_id: str,
    viewer: str,
    *,
    kinds: Collection[str],
    exclude_archived: bool,
    after_id: str,
    limit: int,
    among: Collection[str] | None = None,
    named: Collection[str] | None = None,
) -> list[Channel]:
    """The workspace's public channels and the other conversations `viewer` is in, by id.
    With `among`, those of these channels instead (shared with the workspace, on their home
    shard), whatever their workspace; with `named`, only those of these names."""
    member = exists().where(
        memberships.c.channel_id == channels.c.id, memberships.c.user_id == viewer
    )
    query = select(channels).where(
        scope_clause(workspace_id, among),
        kind_clause(kinds),
        or_(kind_clause([PUBLIC]), member),
    )
    if named is not None:
        query = query.where(channels.c.name.in_(list(named)))
    return await _page_txn(conn, query, exclude_archived, after_id, limit)


async def member_channels_txn(
    conn: Conn,
    workspace_id: str,
    user_id: str,
    *,
    kinds: Collection[str],
    exclude_archived: bool,
    after_id: str,
    limit: int,
    among: Collection[str] | None = None,
) -> list[Channel]:
    """The conversations `user_id` is in, of the given types, by id (`among`: as above)."""
    query = (
        select(channels)
        .join(memberships, memberships.c.channel_id == channels.c.id)
        .where(
            memberships.c.user_id == user_id,
            scope_clause(workspace_id, among),
            kind_clause(kinds),
        )
    )
    return await _page_txn(conn, query, exclude_archived, after_id, limit)


def scope_clause(workspace_id: str, among: Collection[str] | None) -> ColumnElement[bool]:
    if among is None:
        return channels.c.workspace_id == workspace_id
    return channels.c.id.in_(list(among))


async def _page_txn(
    conn: Conn, query: Select, exclude_archived: bool, after_id: str, limit: int
) -> list[Channel]:
    query = query.where(channels.c.id > after_id).order_by(channels.c.id).limit(limit)
    if exclude_archived:
        query = query.where(channels.c.is_archived.is_(False))
    return [channel_from_row(row) for row in await conn.execute(query)]


async def every_channel_txn(
    conn: Conn,
    workspace_id: str,
    *,
    among: Collection[str] | None = None,
    after_id: str,
    limit: int,
) -> list[Channel]:
    """A page of every conversation of the workspace, of every kind, archived ones too, by
    id; with `among`, of these channels instead (see visible_channels_txn)."""
    query = select(channels).where(scope_clause(workspace_id, among))
    return await _page_txn(conn, query, False, after_id, limit)


async def group_dm_of_txn(conn: Conn, workspace_id: str, people: Collection[str]) -> Channel | None:
    """The group DM of exactly these people, if there is one."""
    anyone = next(iter(people))
    everyone, wanted = memberships.alias("everyone"), memberships.alias("wanted")
    size = (
        select(func.count())
        .select_from(everyone)
        .where(everyone.c.channel_id == channels.c.id)
        .correlate(channels)
        .scalar_subquery()
    )
    present = (
        select(func.count())
        .select_from(wanted)
        .where(wanted.c.channel_id == channels.c.id, wanted.c.user_id.in_(people))
        .correlate(channels)
        .scalar_subquery()
    )
    # Starting from one person's memberships keeps the scan to their conversations.
    query = (
        select(channels)
        .join(memberships, memberships.c.channel_id == channels.c.id)
        .where(
            memberships.c.user_id == anyone,
            channels.c.workspace_id == workspace_id,
            channels.c.is_mpim.is_(True),
            size == len(people),
            present == len(people),
        )
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return channel_from_row(row) if row else None


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
        shared_with=shared_teams_from_json(row.shared_with),
    )
