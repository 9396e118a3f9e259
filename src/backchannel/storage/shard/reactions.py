"""Shard: emoji reactions on messages, one row per (message, emoji, person)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select, tuple_

from backchannel.models import Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channels, memberships, messages, reactions
from backchannel.storage.shard.messages import message_from_row


async def add_reaction_txn(
    conn: Conn, *, channel_id: str, ts: str, name: str, user_id: str, now: float
) -> None:
    await conn.execute(
        insert(reactions).values(
            channel_id=channel_id, ts=ts, name=name, user_id=user_id, created=now
        )
    )


async def has_reaction_txn(
    conn: Conn, *, channel_id: str, ts: str, name: str, user_id: str
) -> bool:
    query = select(reactions.c.created).where(
        reactions.c.channel_id == channel_id,
        reactions.c.ts == ts,
        reactions.c.name == name,
        reactions.c.user_id == user_id,
    )
    return await conn.scalar(query) is not None


async def remove_reaction_txn(
    conn: Conn, *, channel_id: str, ts: str, name: str, user_id: str
) -> bool:
    """Remove one person's emoji from a message; False when there was none."""
    result = await conn.execute(
        delete(reactions).where(
            reactions.c.channel_id == channel_id,
            reactions.c.ts == ts,
            reactions.c.name == name,
            reactions.c.user_id == user_id,
        )
    )
    return bool(result.rowcount)


async def with_reactions_txn(conn: Conn, found: Sequence[Message]) -> list[Message]:
    """The messages with their `reactions` filled in, in one query for the whole page.

    Emoji come in the order they were first used on the message, people in the order they
    reacted, as Slack shows them.
    """
    if not found:
        return []
    keys = [(message.channel_id, message.ts) for message in found]
    query = (
        select(reactions.c.channel_id, reactions.c.ts, reactions.c.name, reactions.c.user_id)
        .where(tuple_(reactions.c.channel_id, reactions.c.ts).in_(keys))
        .order_by(reactions.c.created, reactions.c.user_id)
    )
    by_message: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in await conn.execute(query):
        by_message.setdefault((row.channel_id, row.ts), {}).setdefault(row.name, []).append(
            row.user_id
        )
    return [
        replace(message, reactions=by_message[key]) if key in by_message else message
        for message, key in zip(found, keys, strict=True)
    ]


async def reacted_messages_txn(
    conn: Conn,
    *,
    workspace_id: str,
    reactor: str,
    viewer: str,
    public_too: bool,
    before: tuple[float, str, str] | None,
    limit: int,
) -> list[tuple[float, Message]]:
    """Messages `reactor` reacted to, newest reaction first, in the conversations `viewer`
    is in, and with `public_too` in every public channel.

    Each comes with the time of the reactor's latest reaction on it (the sort key); `before`
    is the (time, channel, ts) of the last item of the previous page.
    """
    latest = func.max(reactions.c.created).label("latest")
    reacted = (
        select(reactions.c.channel_id, reactions.c.ts, latest)
        .where(reactions.c.user_id == reactor)
        .group_by(reactions.c.channel_id, reactions.c.ts)
        .subquery()
    )
    query = (
        select(messages, reacted.c.latest)
        .join(
            reacted,
            and_(messages.c.channel_id == reacted.c.channel_id, messages.c.ts == reacted.c.ts),
        )
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(channels.c.workspace_id == workspace_id, _read_by(viewer, public_too))
        .order_by(reacted.c.latest.desc(), messages.c.channel_id.desc(), messages.c.ts.desc())
        .limit(limit)
    )
    if before is not None:
        at, channel_id, ts = before
        query = query.where(
            or_(
                reacted.c.latest < at,
                and_(
                    reacted.c.latest == at,
                    or_(
                        messages.c.channel_id < channel_id,
                        and_(messages.c.channel_id == channel_id, messages.c.ts < ts),
                    ),
                ),
            )
        )
    return [(row.latest, message_from_row(row)) for row in await conn.execute(query)]


def _read_by(viewer: str, public_too: bool) -> ColumnElement[bool]:
    """The conversations `viewer` is in, and with `public_too` the public channels."""
    member = exists().where(
        memberships.c.channel_id == channels.c.id, memberships.c.user_id == viewer
    )
    if not public_too:
        return member
    public = and_(
        channels.c.is_private.is_(False), channels.c.is_im.is_(False), channels.c.is_mpim.is_(False)
    )
    return or_(public, member)
