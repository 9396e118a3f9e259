"""Shard: what imports and exports of a workspace read and write in bulk
(interop/slack_export/importing.py, interop/slack_export/writing.py; docs/slack-export.md).

`import_ids` says what an import made of each id of the export it read. Messages keep the
export's `ts`, so the messages already there are found by their key, (channel, ts).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from backchannel.models import Channel, Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channels, import_ids, messages, reactions
from backchannel.storage.shard.channels import channel_from_row, kind_clause
from backchannel.storage.shard.messages import message_from_row

# What an import maps: people (and placeholders), bots' B ids, and conversations.
USER, BOT, CHANNEL = "user", "bot", "channel"


async def mapped_ids_txn(
    conn: Conn, workspace_id: str, kind: str, *, after: str, limit: int
) -> list[tuple[str, str]]:
    """A page of (source id, local id) of one kind, in source id order."""
    query = (
        select(import_ids.c.source_id, import_ids.c.local_id)
        .where(
            import_ids.c.workspace_id == workspace_id,
            import_ids.c.kind == kind,
            import_ids.c.source_id > after,
        )
        .order_by(import_ids.c.source_id)
        .limit(limit)
    )
    return [(str(source), str(local)) for source, local in await conn.execute(query)]


async def record_ids_txn(
    conn: Conn, workspace_id: str, kind: str, pairs: Sequence[tuple[str, str]], now: float
) -> None:
    """Remember what these source ids became (in the transaction that made them)."""
    if pairs:
        mine = {"workspace_id": workspace_id, "kind": kind, "created": now}
        rows = [{**mine, "source_id": source, "local_id": local} for source, local in pairs]
        await conn.execute(insert(import_ids), rows)


async def forget_ids_txn(
    conn: Conn, workspace_id: str, kind: str, source_ids: Collection[str]
) -> None:
    """Undo record_ids_txn (a cross-database write that failed after the shard committed)."""
    await conn.execute(
        delete(import_ids).where(
            import_ids.c.workspace_id == workspace_id,
            import_ids.c.kind == kind,
            import_ids.c.source_id.in_(sorted(source_ids)),
        )
    )


async def authors_txn(
    conn: Conn, channel_id: str, ts_list: Collection[str]
) -> dict[str, str | None]:
    """The messages of the channel with these ts that are there: ts -> author."""
    if not ts_list:
        return {}
    query = select(messages.c.ts, messages.c.user_id).where(
        messages.c.channel_id == channel_id, messages.c.ts.in_(sorted(ts_list))
    )
    return {str(ts): user_id for ts, user_id in await conn.execute(query)}


async def insert_messages_txn(conn: Conn, rows: Sequence[dict[str, Any]]) -> None:
    """Messages with their own ts (an import's), all columns given."""
    if rows:
        await conn.execute(insert(messages), list(rows))


async def insert_reactions_txn(conn: Conn, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(reactions), list(rows))


async def raise_last_ts_txn(conn: Conn, channel_id: str, ts: str) -> None:
    """The channel's newest ts is `ts` if that is newer: new posts come after it."""
    await conn.execute(
        update(channels)
        .where(
            channels.c.id == channel_id,
            or_(channels.c.last_ts.is_(None), channels.c.last_ts < ts),
        )
        .values(last_ts=ts)
    )


async def channels_page_txn(
    conn: Conn, workspace_id: str, kinds: Collection[str], *, after_id: str, limit: int
) -> list[Channel]:
    """A page of the workspace's own conversations of these kinds, archived ones too, by id."""
    query = (
        select(channels)
        .where(
            channels.c.workspace_id == workspace_id,
            kind_clause(kinds),
            channels.c.id > after_id,
        )
        .order_by(channels.c.id)
        .limit(limit)
    )
    return [channel_from_row(row) for row in await conn.execute(query)]


async def messages_page_txn(
    conn: Conn, channel_id: str, *, after_ts: str, limit: int
) -> list[Message]:
    """A page of the channel's messages, replies included, oldest first."""
    query = (
        select(messages)
        .where(
            messages.c.channel_id == channel_id,
            messages.c.ts > after_ts,
            messages.c.deleted.is_(False),
        )
        .order_by(messages.c.ts)
        .limit(limit)
    )
    return [message_from_row(row) for row in await conn.execute(query)]


async def reply_refs_txn(
    conn: Conn, channel_id: str, root_ts: str, *, limit: int
) -> list[tuple[str | None, str]]:
    """The first `limit` replies of a thread as (author, ts), oldest first."""
    query = (
        select(messages.c.user_id, messages.c.ts)
        .where(
            and_(
                messages.c.channel_id == channel_id,
                messages.c.thread_ts == root_ts,
                messages.c.ts != root_ts,
                messages.c.deleted.is_(False),
            )
        )
        .order_by(messages.c.ts)
        .limit(limit)
    )
    return [(user_id, str(ts)) for user_id, ts in await conn.execute(query)]
