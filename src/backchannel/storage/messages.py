"""Shard: messages, thread bookkeeping and reactions."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from backchannel.models import Message
from backchannel.storage.schema import channels, messages, reactions
from backchannel.types import next_ts


async def insert_message_txn(conn: AsyncConnection, message: Message, now: float) -> Message:
    """Store a message under a fresh ts, after every other ts of its channel.

    The channel row is read FOR UPDATE (PostgreSQL; SQLite's writer lock does the same), so two
    posts to one channel are serialised and ts stays strictly increasing per channel.
    """
    last_ts = await conn.scalar(
        select(channels.c.last_ts).where(channels.c.id == message.channel_id).with_for_update()
    )
    ts = next_ts(now, last_ts)
    await conn.execute(
        insert(messages).values(
            channel_id=message.channel_id,
            ts=ts,
            workspace_id=message.workspace_id,
            user_id=message.user_id,
            bot_id=message.bot_id,
            subtype=message.subtype,
            text=message.text,
            thread_ts=message.thread_ts,
            client_msg_id=message.client_msg_id,
            blocks=message.blocks,
            attachments=message.attachments,
        )
    )
    await conn.execute(
        update(channels).where(channels.c.id == message.channel_id).values(last_ts=ts)
    )
    if message.thread_ts is not None and message.thread_ts != ts:
        await conn.execute(
            update(messages)
            .where(messages.c.channel_id == message.channel_id, messages.c.ts == message.thread_ts)
            .values(
                reply_count=messages.c.reply_count + 1, latest_reply=ts, thread_ts=message.thread_ts
            )
        )
    return Message(**{**message.__dict__, "ts": ts})


async def get_message_txn(conn: AsyncConnection, channel_id: str, ts: str) -> Message | None:
    query = select(messages).where(messages.c.channel_id == channel_id, messages.c.ts == ts)
    row = (await conn.execute(query)).first()
    return message_from_row(row) if row else None


async def latest_messages_txn(
    conn: AsyncConnection, channel_id: str, *, limit: int
) -> list[Message]:
    query = (
        select(messages)
        .where(messages.c.channel_id == channel_id, messages.c.deleted.is_(False))
        .order_by(messages.c.ts.desc())
        .limit(limit)
    )
    return [message_from_row(row) for row in await conn.execute(query)]


async def add_reaction_txn(
    conn: AsyncConnection, *, channel_id: str, ts: str, name: str, user_id: str, now: float
) -> None:
    await conn.execute(
        insert(reactions).values(
            channel_id=channel_id, ts=ts, name=name, user_id=user_id, created=now
        )
    )


def message_from_row(row: Row) -> Message:
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
        reply_users=tuple(row.reply_users or ()),
        latest_reply=row.latest_reply,
        parent_user_id=row.parent_user_id,
        reply_broadcast=bool(row.reply_broadcast),
        client_msg_id=row.client_msg_id,
        edited_ts=row.edited_ts,
        edited_user=row.edited_user,
        deleted=bool(row.deleted),
        blocks=row.blocks,
        attachments=row.attachments,
    )
