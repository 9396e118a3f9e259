"""Shard: the reads of a boot payload (rtm.start), see docs/realtime.md.

Each read covers every conversation the caller is in at once, starting from their
memberships, so a boot costs the same few queries whether they are in 3 channels or 300.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    tuple_,
    union_all,
)

from backchannel.models import Bot, Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import bots, memberships, messages, read_markers
from backchannel.storage.shard.messages import message_from_row
from backchannel.storage.shard.users import bot_from_row

# Channels per unread-count statement: SQLite allows 500 parts in a UNION ALL.
UNREAD_BATCH = 128  # a power of two (see unread_counts_txn)


@dataclass(frozen=True)
class Membership:
    channel_id: str
    joined: float
    last_read: str | None  # None until the member marks the conversation read


def _shown_in_channel() -> ColumnElement[bool]:
    """The messages a conversation shows (the rule of history.history_txn): not deleted, and
    not thread replies, unless also sent to the channel."""
    return and_(
        messages.c.deleted.is_(False),
        or_(
            messages.c.thread_ts.is_(None),
            messages.c.thread_ts == messages.c.ts,
            messages.c.reply_broadcast.is_(True),
        ),
    )


def _mine(workspace_id: str | None, user_id: str) -> ColumnElement[bool]:
    """The person's memberships made from one workspace's seat, or (None) from any: on a
    shared channel's home, one person may be in it from another of their seats."""
    if workspace_id is None:
        return memberships.c.user_id == user_id
    return and_(memberships.c.user_id == user_id, memberships.c.workspace_id == workspace_id)


async def memberships_txn(conn: Conn, workspace_id: str | None, user_id: str) -> list[Membership]:
    """Every conversation `user_id` is in, with when they joined and where they read to."""
    marker = and_(
        read_markers.c.channel_id == memberships.c.channel_id,
        read_markers.c.user_id == memberships.c.user_id,
    )
    query = (
        select(memberships.c.channel_id, memberships.c.joined, read_markers.c.last_read)
        .select_from(memberships.outerjoin(read_markers, marker))
        .where(_mine(workspace_id, user_id))
    )
    return [Membership(*row) for row in await conn.execute(query)]


async def co_members_txn(
    conn: Conn, workspace_id: str | None, user_id: str
) -> dict[str, list[str]]:
    """The members of every conversation `user_id` is in, in the order they joined."""
    everyone = memberships.alias("everyone")
    query = (
        select(everyone.c.channel_id, everyone.c.user_id)
        .join(memberships, memberships.c.channel_id == everyone.c.channel_id)
        .where(_mine(workspace_id, user_id))
        .order_by(everyone.c.channel_id, everyone.c.joined, everyone.c.user_id)
    )
    found: dict[str, list[str]] = {}
    for channel_id, member in await conn.execute(query):
        found.setdefault(channel_id, []).append(member)
    return found


async def latest_shown_txn(conn: Conn, workspace_id: str | None, user_id: str) -> list[Message]:
    """The newest message shown in each conversation `user_id` is in (none for empty ones).

    The newest ts of each is found by walking its (channel_id, ts) key backwards to the
    first message shown, so a long history costs no more than a short one.
    """
    newest = (
        select(messages.c.ts)
        .where(messages.c.channel_id == memberships.c.channel_id, _shown_in_channel())
        .order_by(messages.c.ts.desc())
        .limit(1)
        .correlate(memberships)
        .scalar_subquery()
    )
    keys = select(memberships.c.channel_id, newest).where(_mine(workspace_id, user_id))
    query = select(messages).where(tuple_(messages.c.channel_id, messages.c.ts).in_(keys))
    return [message_from_row(row) for row in await conn.execute(query)]


@dataclass(frozen=True)
class Unread:
    messages: int  # messages of others after the read mark
    mentions: int  # those of them that mention the reader (<@U...>)


async def unread_counts_txn(
    conn: Conn, user_id: str, read_to: Mapping[str, str]
) -> dict[str, Unread]:
    """For each conversation, the messages of others shown in it after its `read_to` ts,
    and how many of them mention `user_id`.

    One statement per UNREAD_BATCH conversations; each part counts a range of the
    (channel_id, ts) key, so the cost is the unread messages, not the history. The
    statements are built once for each size (a power of two, the last parts counting
    nothing): building one of 40 parts took longer than running it.
    """
    counts: dict[str, Unread] = {}
    items = sorted(read_to.items())
    for start in range(0, len(items), UNREAD_BATCH):
        batch = items[start : start + UNREAD_BATCH]
        size = 1 << (len(batch) - 1).bit_length()
        params: dict[str, str] = {"reader": user_id, "mention": f"<@{user_id}>"}
        for index in range(size):
            channel_id, after = batch[index] if index < len(batch) else ("", "")
            params[f"channel_{index}"], params[f"after_{index}"] = channel_id, after
        for row in await conn.execute(_unread_statement(size), params):
            counts[row.channel_id] = Unread(int(row.unread), int(row.mentions or 0))
    return counts


@functools.cache
def _unread_statement(parts: int) -> Executable:
    selects = [_unread_part(index) for index in range(parts)]
    return selects[0] if parts == 1 else union_all(*selects)


def _unread_part(index: int) -> Select[tuple[str, int, int]]:
    reader = bindparam("reader", type_=String)
    by_others = or_(messages.c.user_id.is_(None), messages.c.user_id != reader)
    # user ids are [A-Z0-9]: no LIKE wildcard can hide in one
    mentions = case((messages.c.text.contains(bindparam("mention", type_=String)), 1), else_=0)
    return (
        select(
            messages.c.channel_id,
            func.count().label("unread"),
            func.sum(mentions).label("mentions"),
        )
        .where(
            messages.c.channel_id == bindparam(f"channel_{index}", type_=String),
            messages.c.ts > bindparam(f"after_{index}", type_=String),
            _shown_in_channel(),
            by_others,
        )
        .group_by(messages.c.channel_id)
    )


async def bots_txn(conn: Conn, workspace_id: str) -> list[Bot]:
    """Every bot of the workspace, removed ones included (as Slack's rtm.start lists them)."""
    query = select(bots).where(bots.c.workspace_id == workspace_id).order_by(bots.c.id)
    return [bot_from_row(row) for row in await conn.execute(query)]
