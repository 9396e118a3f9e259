"""Emoji reactions on messages: add, remove, and what a person reacted to.

Adding and removing publish reaction_added and reaction_removed to the channel
(docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import Event, Message
from backchannel.models.events import to_channel
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_not_archived,
    conversation_txn,
    reads_unjoined_channels,
)
from backchannel.services.conversations.channels import now_ts
from backchannel.services.messaging.messages import live_message_txn
from backchannel.services.realtime import events
from backchannel.services.validation import is_emoji_name
from backchannel.storage.shard import reactions as store
from backchannel.storage.shard import users


@dataclass(frozen=True)
class ReactedPage:
    messages: list[Message]
    next_after: str | None  # where the next page starts; None on the last page


def check_name(name: str) -> str:
    if not is_emoji_name(name):
        raise InvalidArgument(
            f"{name!r} is not an emoji name like thumbsup or +1", slack_error="invalid_name"
        )
    return name


async def add_reaction(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str, name: str
) -> None:
    check_name(name)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        check_not_archived(channel)
        message = await live_message_txn(conn, channel_id, ts)
        key = {"channel_id": channel_id, "ts": ts, "name": name, "user_id": user_id}
        if await store.has_reaction_txn(conn, **key):
            raise _already_reacted(name)
        try:
            await store.add_reaction_txn(conn, **key, now=ctx.clock())
        except IntegrityError:
            # The same reaction added concurrently (a double click) on PostgreSQL.
            raise _already_reacted(name) from None
        event = _reaction_event("reaction_added", message, user_id, name, now_ts(ctx))
        await events.append_txn(ctx, conn, event)


def _already_reacted(name: str) -> BackchannelError:
    return BackchannelError(f"you already reacted with :{name}:", slack_error="already_reacted")


async def remove_reaction(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str, name: str
) -> None:
    check_name(name)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        check_not_archived(channel)
        message = await live_message_txn(conn, channel_id, ts)
        removed = await store.remove_reaction_txn(
            conn, channel_id=channel_id, ts=ts, name=name, user_id=user_id
        )
        if not removed:
            raise BackchannelError(f"you have not reacted with :{name}:", slack_error="no_reaction")
        event = _reaction_event("reaction_removed", message, user_id, name, now_ts(ctx))
        await events.append_txn(ctx, conn, event)


def _reaction_event(kind: str, message: Message, user_id: str, name: str, event_ts: str) -> Event:
    payload = {
        "type": kind,
        "user": user_id,
        "reaction": name,
        "item_user": message.user_id,
        "item": {"type": "message", "channel": message.channel_id, "ts": message.ts},
        "event_ts": event_ts,
    }
    return to_channel(message.workspace_id, message.channel_id, payload)


async def reacted_messages(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    viewer: str,
    reactor: str,
    after: str | None,
    limit: int,
    is_bot: bool = False,
) -> ReactedPage:
    """Messages `reactor` reacted to, newest reaction first, in conversations `viewer` may
    read (access.py's rule)."""
    before = _parse_position(after)
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        if await users.get_user_txn(conn, workspace_id, reactor) is None:
            raise NotFound(f"no user {reactor}", slack_error="user_not_found")
        found = await store.reacted_messages_txn(
            conn,
            workspace_id=workspace_id,
            reactor=reactor,
            viewer=viewer,
            public_too=reads_unjoined_channels(is_bot),
            before=before,
            limit=limit + 1,
        )
        page = await store.with_reactions_txn(conn, [message for _, message in found[:limit]])
    if len(found) <= limit:
        return ReactedPage(page, None)
    at, last = found[limit - 1]
    return ReactedPage(page, f"{at!r}|{last.channel_id}|{last.ts}")


def _parse_position(after: str | None) -> tuple[float, str, str] | None:
    if after is None:
        return None
    at, _, rest = after.partition("|")
    channel_id, _, ts = rest.partition("|")
    try:
        return float(at), channel_id, ts
    except ValueError:
        raise InvalidArgument(
            "the cursor is not one this server gave out", slack_error="invalid_cursor"
        ) from None
