"""Shard: messages and their thread bookkeeping (reactions.py and pins.py hang off them)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Row

from backchannel.models import Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import is_object, is_object_list, is_string_list, readable
from backchannel.storage.schema import channels, memberships, messages, pins, reactions
from backchannel.storage.shard.shared_channels import shared_teams_from_json
from backchannel.types import next_ts

# Statements on every post's path are built once: building one costs more than running it.
_INSERT_MESSAGE = insert(messages)
_SET_LAST_TS = (
    update(channels)
    .where(channels.c.id == bindparam("channel_id"))
    .values(last_ts=bindparam("new_ts"))
)
_LOCK_CHANNEL = (
    select(channels.c.last_ts, channels.c.shared_with)
    .where(channels.c.id == bindparam("channel_id"))
    .limit(1)
    .with_for_update()
)


@dataclass(frozen=True)
class ChannelLock:
    """What a channel's row says under its lock, which lasts until the commit."""

    last_ts: str | None
    shared_with: tuple[str, ...]  # the ids of the channel's other workspaces


async def lock_channel_txn(conn: Conn, channel_id: str) -> ChannelLock:
    """Serialise writes to one channel's messages (and its sharing) until commit: the row is
    read FOR UPDATE on PostgreSQL; on SQLite the writer's lock does the same."""
    row = (await conn.execute(_LOCK_CHANNEL, {"channel_id": channel_id})).first()
    if row is None:
        return ChannelLock(None, ())
    teams = shared_teams_from_json(row.shared_with)
    return ChannelLock(row.last_ts, tuple(team.id for team in teams))


async def insert_message_txn(
    conn: Conn, message: Message, now: float, *, locked: ChannelLock
) -> Message:
    """Store a message under a fresh ts, after every other ts of its channel: the caller
    holds the channel's lock (`locked`), so posts to one channel are serialised and ts stays
    strictly increasing per channel. A reply (thread_ts set, and pointing at the thread's
    root) updates the root's reply count, latest reply and repliers.
    """
    ts = next_ts(now, locked.last_ts)
    await conn.execute(_INSERT_MESSAGE, {**_columns(message), "ts": ts})
    await conn.execute(_SET_LAST_TS, {"channel_id": message.channel_id, "new_ts": ts})
    if message.thread_ts is not None and message.thread_ts != ts:
        await _record_reply_txn(conn, message, ts)
    return replace(message, ts=ts)


def _columns(message: Message) -> dict[str, Any]:
    return {
        "channel_id": message.channel_id,
        "workspace_id": message.workspace_id,
        "user_id": message.user_id,
        "bot_id": message.bot_id,
        "subtype": message.subtype,
        "text": message.text,
        "thread_ts": message.thread_ts,
        "parent_user_id": message.parent_user_id,
        "reply_broadcast": message.reply_broadcast,
        "client_msg_id": message.client_msg_id,
        "blocks": message.blocks,
        "attachments": message.attachments,
        "user_team": message.user_team,
        "username": message.username,
        "icons": message.icons,
        "metadata": message.metadata,
        "files": message.files,
    }


async def _record_reply_txn(conn: Conn, reply: Message, ts: str) -> None:
    root = (messages.c.channel_id == reply.channel_id, messages.c.ts == reply.thread_ts)
    # Read under the channel lock taken by the caller, so concurrent replies add up.
    repliers = list(await conn.scalar(select(messages.c.reply_users).where(*root)) or [])
    if reply.user_id is not None and reply.user_id not in repliers:
        repliers = [*repliers, reply.user_id]
    await conn.execute(
        update(messages)
        .where(*root)
        .values(
            reply_count=messages.c.reply_count + 1,
            latest_reply=ts,
            thread_ts=reply.thread_ts,
            reply_users=repliers,
        )
    )


async def get_message_txn(conn: Conn, channel_id: str, ts: str) -> Message | None:
    query = select(messages).where(messages.c.channel_id == channel_id, messages.c.ts == ts)
    row = (await conn.execute(query)).first()
    return message_from_row(row) if row else None


async def message_by_client_msg_id_txn(
    conn: Conn, channel_id: str, client_msg_id: str
) -> Message | None:
    query = select(messages).where(
        messages.c.channel_id == channel_id, messages.c.client_msg_id == client_msg_id
    )
    row = (await conn.execute(query)).first()
    return message_from_row(row) if row else None


async def edit_message_txn(conn: Conn, edited: Message) -> None:
    """Store a message's new content and its `edited` mark."""
    await conn.execute(
        update(messages)
        .where(messages.c.channel_id == edited.channel_id, messages.c.ts == edited.ts)
        .values(
            text=edited.text,
            blocks=edited.blocks,
            attachments=edited.attachments,
            edited_ts=edited.edited_ts,
            edited_user=edited.edited_user,
        )
    )


async def delete_message_txn(conn: Conn, channel_id: str, ts: str) -> None:
    """Remove a message with its reactions and pin: it disappears from history."""
    await _forget_attachments_txn(conn, channel_id, ts)
    await conn.execute(
        delete(messages).where(messages.c.channel_id == channel_id, messages.c.ts == ts)
    )


async def tombstone_message_txn(
    conn: Conn, channel_id: str, ts: str, *, author: str, text: str
) -> None:
    """Blank a thread root that still has replies, keeping its thread bookkeeping."""
    await _forget_attachments_txn(conn, channel_id, ts)
    await conn.execute(
        update(messages)
        .where(messages.c.channel_id == channel_id, messages.c.ts == ts)
        .values(
            subtype="tombstone",
            text=text,
            user_id=author,
            bot_id=None,
            blocks=None,
            attachments=None,
            client_msg_id=None,
            edited_ts=None,
            edited_user=None,
            username=None,
            icons=None,
            metadata=None,
            files=None,
        )
    )


async def _forget_attachments_txn(conn: Conn, channel_id: str, ts: str) -> None:
    await conn.execute(
        delete(reactions).where(reactions.c.channel_id == channel_id, reactions.c.ts == ts)
    )
    await conn.execute(delete(pins).where(pins.c.channel_id == channel_id, pins.c.ts == ts))


async def recount_thread_txn(conn: Conn, channel_id: str, root_ts: str) -> int:
    """Recompute a root's reply count, latest reply and repliers (after a reply is deleted)."""
    replies = (
        messages.c.channel_id == channel_id,
        messages.c.thread_ts == root_ts,
        messages.c.ts != root_ts,
    )
    count, latest = (
        await conn.execute(select(func.count(), func.max(messages.c.ts)).where(*replies))
    ).one()
    first_reply = func.min(messages.c.ts)
    repliers = await conn.scalars(
        select(messages.c.user_id)
        .where(*replies, messages.c.user_id.is_not(None))
        .group_by(messages.c.user_id)
        .order_by(first_reply)
    )
    await conn.execute(
        update(messages)
        .where(messages.c.channel_id == channel_id, messages.c.ts == root_ts)
        .values(
            reply_count=count,
            latest_reply=latest,
            reply_users=list(repliers) or None,
            # A root whose last reply went is an ordinary message again.
            thread_ts=root_ts if count else None,
        )
    )
    return int(count)


async def im_between_txn(conn: Conn, workspace_id: str, user_id: str, other_id: str) -> str | None:
    """The DM of two people (or a person's DM with themself), if it was ever opened.

    Opening DMs (services/conversations/direct_messages.py) looks for one here before making it.
    """
    people = {user_id, other_id}
    mine = select(memberships.c.channel_id).where(memberships.c.user_id == user_id)
    theirs = select(memberships.c.channel_id).where(memberships.c.user_id == other_id)
    size = (
        select(func.count())
        .select_from(memberships)
        .where(memberships.c.channel_id == channels.c.id)
        .scalar_subquery()
    )
    query = select(channels.c.id).where(
        channels.c.workspace_id == workspace_id,
        channels.c.is_im.is_(True),
        channels.c.id.in_(mine),
        channels.c.id.in_(theirs),
        size == len(people),
    )
    return (await conn.scalars(query.limit(1))).first()


def message_from_row(row: Row) -> Message:
    """A message as stored; what of its JSON cannot be shown is left out
    (storage/json_values.py)."""
    where = f"{row.channel_id}/{row.ts}"
    return Message(
        channel_id=row.channel_id,
        ts=row.ts,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        bot_id=row.bot_id,
        subtype=row.subtype,
        text=row.text,
        thread_ts=row.thread_ts,
        reply_count=row.reply_count,
        reply_users=tuple(readable(row.reply_users, is_string_list, "reply_users", where) or ()),
        latest_reply=row.latest_reply,
        parent_user_id=row.parent_user_id,
        reply_broadcast=bool(row.reply_broadcast),
        client_msg_id=row.client_msg_id,
        edited_ts=row.edited_ts,
        edited_user=row.edited_user,
        deleted=bool(row.deleted),
        blocks=readable(row.blocks, is_object_list, "blocks", where),
        attachments=readable(row.attachments, is_object_list, "attachments", where),
        user_team=row.user_team,
        username=row.username,
        icons=readable(row.icons, is_object, "icons", where),
        metadata=readable(row.metadata, is_object, "metadata", where),
        files=readable(row.files, is_object_list, "files", where),
    )
