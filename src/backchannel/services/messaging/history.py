"""Reading a conversation's messages (history and threads) and marking it read.

Paging goes by ts: a page carries the ts where the next one starts (`next_ts`), which the
Web API hands out as Slack's cursor. Who may read is access.py's rule (a bot only the
conversations it is in, a person any public channel they see). Marking read tells the
reader's other sessions (channel_marked, group_marked, im_marked; docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.errors import NotFound
from backchannel.models import Channel, Event, Message
from backchannel.models.events import to_user
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_member_txn,
    conversation_home,
    conversation_txn,
    readable_channel_txn,
)
from backchannel.services.conversations.channels import now_ts
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import history as store
from backchannel.storage.shard import reactions
from backchannel.storage.shard.history import TsRange
from backchannel.storage.shard.messages import get_message_txn

__all__ = [
    "EVERYTHING",
    "HistoryPage",
    "ThreadPage",
    "TsRange",
    "channel_history",
    "mark_read",
    "thread_replies",
]

EVERYTHING = TsRange()


@dataclass(frozen=True)
class HistoryPage:
    messages: list[Message]  # newest first
    has_more: bool
    next_ts: str | None  # the newest ts of the next page
    pin_count: int


@dataclass(frozen=True)
class ThreadPage:
    root: Message
    replies: list[Message]  # oldest first
    has_more: bool
    next_ts: str | None  # the oldest ts of the next page


async def channel_history(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    within: TsRange = EVERYTHING,
    limit: int = 100,
    is_bot: bool = False,
) -> HistoryPage:
    # From a replica when the deployment allows it: a membership a moment old decides.
    async with conversation_txn(ctx, channel_id, write=False, replica_ok=True) as conn:
        await readable_channel_txn(conn, workspace_id, user_id, channel_id, is_bot=is_bot)
    # The page is the same whoever may read it: a burst of members loading it after a new
    # message shares one read (router/consolidation.py).
    return await ctx.router.read_shared(
        conversation_home(channel_id), _history_page_txn, channel_id, within, limit, replica_ok=True
    )


async def _history_page_txn(
    conn: Conn, channel_id: str, within: TsRange, limit: int
) -> HistoryPage:
    found = await store.history_txn(conn, channel_id, within, limit=limit + 1)
    shown = await reactions.with_reactions_txn(conn, found[:limit])
    pin_count = await store.pin_count_txn(conn, channel_id)
    more = len(found) > limit
    return HistoryPage(shown, more, found[limit].ts if more else None, pin_count)


async def thread_replies(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    ts: str,
    within: TsRange = EVERYTHING,
    limit: int = 100,
    is_bot: bool = False,
) -> ThreadPage:
    """The thread that `ts` is the root of, or a reply in: its root, then a page of replies."""
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        await readable_channel_txn(conn, workspace_id, user_id, channel_id, is_bot=is_bot)
        root = await _root_txn(conn, channel_id, ts)
        found = await store.thread_txn(conn, channel_id, root.ts, within, limit=limit + 1)
    more = len(found) > limit
    return ThreadPage(root, found[:limit], more, found[limit].ts if more else None)


async def mark_read(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    """Move the member's read marker in the conversation to `ts`."""
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        await check_member_txn(conn, channel, user_id)
        await store.set_read_marker_txn(conn, channel_id, user_id, ts, ctx.clock())
        await events.append_txn(ctx, conn, _marked_event(channel, user_id, ts, now_ts(ctx)))


def _marked_event(channel: Channel, user_id: str, ts: str, event_ts: str) -> Event:
    kind = (
        "im" if channel.is_im else "group" if channel.is_private or channel.is_mpim else "channel"
    )
    payload = {"type": f"{kind}_marked", "channel": channel.id, "ts": ts, "event_ts": event_ts}
    return to_user(channel.workspace_id, user_id, payload)


async def _root_txn(conn: Conn, channel_id: str, ts: str) -> Message:
    message = await get_message_txn(conn, channel_id, ts)
    if message is not None and message.thread_ts not in (None, message.ts):
        message = await get_message_txn(conn, channel_id, message.thread_ts)
    if message is None or message.deleted:
        raise NotFound(f"no message {ts} in {channel_id}", slack_error="thread_not_found")
    return message
