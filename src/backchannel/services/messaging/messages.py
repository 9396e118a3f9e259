"""Messages: posting (threads, DMs by user id, idempotent retries), editing and deleting.

Reactions and pins are in reactions.py and pins.py. Each write appends its RTM event (a
message, message_changed, message_deleted) to the log in its own transaction, and it is
published once that commits (docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import Event, Message
from backchannel.models.events import to_channel, to_user
from backchannel.router import Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_not_archived,
    conversation_txn,
    is_admin_txn,
    readable_channel_txn,
    writable_channel_txn,
)
from backchannel.services.conversations.channels import now_ts
from backchannel.services.conversations.names import conversation_for
from backchannel.services.conversations.names import link_names as linked
from backchannel.services.messaging import block_kit
from backchannel.services.messaging.personas import Persona, Shown, checked
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import messages as store
from backchannel.storage.shard import users
from backchannel.storage.shard.reactions import with_reactions_txn
from backchannel.types import next_ts
from backchannel.wire import message_json

MAX_TEXT = 40_000
SYSTEM_USER = "USLACKBOT"  # Slack shows deleted thread roots as said by Slackbot
DELETED_TEXT = "This message was deleted."


async def post_message(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    text: str,
    thread_ts: str | None = None,
    bot_id: str | None = None,
    by_bot: bool = False,
    reply_broadcast: bool = False,
    blocks: list[Any] | None = None,
    attachments: list[Any] | None = None,
    client_msg_id: str | None = None,
    subtype: str | None = None,
    persona: Persona | None = None,
    metadata: dict[str, Any] | None = None,
    link_names: bool = False,
    files: list[Any] | None = None,
) -> Message:
    """Post to a channel the author is in; `channel_id` may be a user id (their DM) or a
    channel's name (services/conversations/names.py).

    `by_bot` marks a bot token's post: it carries the bot's id as well as its user. A retry
    with a client_msg_id the channel already has returns the original message. A bot's
    `persona` (its own name and icon) makes the post a bot_message; a person's is ignored,
    as in Slack. `link_names` links #channel names and @here (channel_names.link_names).
    `files` are the file objects it shares (services/files/uploads.py); it may then have
    no text.
    """
    check_content(text, blocks, attachments, has_files=bool(files))
    shown = checked(persona) if persona is not None and (by_bot or bot_id) else None
    channel_id = await conversation_for(
        ctx, workspace_id=workspace_id, user_id=user_id, ref=channel_id, open_dm=True
    )
    if link_names:
        text = await linked(ctx, workspace_id=workspace_id, user_id=user_id, text=text)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await writable_channel_txn(conn, workspace_id, user_id, channel_id)
        locked = await store.lock_channel_txn(conn, channel.id)
        if client_msg_id is not None:
            # Under the lock: a concurrent first attempt is either seen here or not yet made.
            original = await store.message_by_client_msg_id_txn(conn, channel.id, client_msg_id)
            if original is not None:  # the channel heard of it the first time
                return original
        if by_bot and bot_id is None:
            bot_id = await _bot_id_txn(conn, workspace_id, user_id)
        root = await _thread_root_txn(conn, channel.id, thread_ts) if thread_ts else None
        broadcast = reply_broadcast and root is not None
        draft = Message(
            channel_id=channel.id,
            ts="",
            workspace_id=channel.workspace_id,
            user_id=user_id,
            bot_id=bot_id,
            subtype="thread_broadcast" if broadcast else subtype or _persona_subtype(shown),
            text=text,
            thread_ts=root.ts if root else None,
            parent_user_id=root.user_id if root else None,
            reply_broadcast=broadcast,
            client_msg_id=client_msg_id,
            blocks=blocks or None,
            attachments=_numbered(attachments),
            user_team=workspace_id if workspace_id != channel.workspace_id else None,
            username=shown.username if shown else None,
            icons=shown.icons if shown else None,
            metadata=metadata,
            files=files or None,
        )
        message = await store.insert_message_txn(conn, draft, ctx.clock(), locked=locked)
        # The lock holds off any share or unshare: its workspaces are the channel's now.
        relay_to = locked.shared_with
        await events.append_txn(ctx, conn, replace(posted_event(message), relay_to=relay_to))
        if root is not None:
            await _thread_changed_txn(ctx, conn, channel.id, root.ts, message.ts, relay_to)
    return message


def _persona_subtype(shown: Shown | None) -> str | None:
    """Slack's subtype of a bot's post under its own name or icon."""
    return "bot_message" if shown and (shown.username or shown.icons) else None


async def _thread_changed_txn(
    ctx: ServiceContext,
    conn: Transaction,
    channel_id: str,
    root_ts: str,
    event_ts: str,
    relay_to: tuple[str, ...] | None = None,
) -> None:
    """Slack's message_replied: the thread's root as it now is (reply count, latest reply,
    who replied), so clients update it without counting replies themselves. `relay_to`: the
    channel's other workspaces, if the caller knows them (events.append_txn)."""
    root = await store.get_message_txn(conn, channel_id, root_ts)
    if root is None:
        return
    [root] = await with_reactions_txn(conn, [root])
    payload = {**_hidden("message_replied", channel_id, event_ts), "message": message_json(root)}
    event = to_channel(root.workspace_id, channel_id, payload, relay_to=relay_to)
    await events.append_txn(ctx, conn, event)


def check_content(
    text: str, blocks: list[Any] | None, attachments: list[Any] | None, *, has_files: bool = False
) -> None:
    """Slack's rules: some text, blocks, attachments or files; text of at most 40,000
    characters; blocks and attachments as Block Kit has them (services/messaging/block_kit.py)."""
    block_kit.check_blocks(blocks)
    block_kit.check_attachments(attachments)
    if not text.strip() and not blocks and not attachments and not has_files:
        raise InvalidArgument(
            "the message has no text, blocks or attachments", slack_error="no_text"
        )
    if len(text) > MAX_TEXT:
        raise InvalidArgument(
            f"the message is {len(text)} characters; at most {MAX_TEXT}", slack_error="msg_too_long"
        )


def _numbered(attachments: list[Any] | None) -> list[Any] | None:
    """Slack numbers a message's attachments from 1 (clients refer to them by id)."""
    if not attachments:
        return None
    return [{**attachment, "id": index} for index, attachment in enumerate(attachments, 1)]


async def _bot_id_txn(conn: Conn, workspace_id: str, user_id: str) -> str | None:
    user = await users.get_user_txn(conn, workspace_id, user_id)
    return user.bot_id if user is not None else None


async def _thread_root_txn(conn: Conn, channel_id: str, thread_ts: str) -> Message:
    """The root of the thread `thread_ts` names: a reply to a reply joins the root's thread."""
    parent = await store.get_message_txn(conn, channel_id, thread_ts)
    if parent is not None and parent.thread_ts not in (None, parent.ts):
        parent = await store.get_message_txn(conn, channel_id, parent.thread_ts)
    if parent is None:
        raise InvalidArgument(f"no message {thread_ts} to reply to", slack_error="thread_not_found")
    return parent


async def update_message(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    ts: str,
    text: str | None,
    blocks: list[Any] | None = None,
    attachments: list[Any] | None = None,
) -> Message:
    """Edit one's own message. What is not given is kept, as in Slack, except that new text
    without blocks drops the old blocks (Slack renders blocks over text). An empty list
    removes the blocks or attachments."""
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        check_not_archived(channel)
        message = await live_message_txn(conn, channel_id, ts)
        if message.user_id != user_id:
            raise BackchannelError(
                "only the author may edit a message", slack_error="cant_update_message"
            )
        new_text = message.text if text is None else text
        new_blocks = (
            blocks if blocks is not None else (None if text is not None else message.blocks)
        )
        new_attachments = message.attachments if attachments is None else _numbered(attachments)
        check_content(new_text, new_blocks, new_attachments)
        event_ts = now_ts(ctx)
        edited = replace(
            message,
            text=new_text,
            blocks=new_blocks or None,
            attachments=new_attachments,
            edited_ts=event_ts,
            edited_user=user_id,
        )
        await store.edit_message_txn(conn, edited)
        edited = (await with_reactions_txn(conn, [edited]))[0]
        before = replace(message, reactions=edited.reactions)
        await events.append_txn(ctx, conn, changed_event(before, edited, event_ts))
    return edited


async def delete_message(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    """Delete a message (its author, or a workspace admin).

    A thread root with replies stays as a tombstone, so the thread can still be read; a
    tombstone goes when its last reply does.
    """
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        await access_channel_txn(conn, workspace_id, user_id, channel_id)
        # Thread counts are recomputed below: no reply may land in between (PostgreSQL).
        await store.lock_channel_txn(conn, channel_id)
        message = await live_message_txn(conn, channel_id, ts)
        if message.user_id != user_id and not await is_admin_txn(conn, workspace_id, user_id):
            raise BackchannelError(
                "only the author or an admin may delete a message",
                slack_error="cant_delete_message",
            )
        event_ts = now_ts(ctx)
        if message.thread_ts == message.ts and message.reply_count > 0:
            await store.tombstone_message_txn(
                conn, channel_id, ts, author=SYSTEM_USER, text=DELETED_TEXT
            )
            tombstone = await store.get_message_txn(conn, channel_id, ts)
            if tombstone is not None:  # it is: this transaction just wrote it
                await events.append_txn(ctx, conn, changed_event(message, tombstone, event_ts))
            return
        await store.delete_message_txn(conn, channel_id, ts)
        await events.append_txn(ctx, conn, deleted_event(message, event_ts))
        if message.thread_ts is not None and message.thread_ts != ts:
            root = await _after_reply_deleted_txn(conn, channel_id, message.thread_ts)
            if root is not None:
                await events.append_txn(ctx, conn, deleted_event(root, event_ts))
            else:
                await _thread_changed_txn(ctx, conn, channel_id, message.thread_ts, event_ts)


async def _after_reply_deleted_txn(conn: Conn, channel_id: str, root_ts: str) -> Message | None:
    """Recount the thread; the tombstone of its root, if that went with the last reply."""
    remaining = await store.recount_thread_txn(conn, channel_id, root_ts)
    root = await store.get_message_txn(conn, channel_id, root_ts)
    if remaining == 0 and root is not None and root.subtype == "tombstone":
        await store.delete_message_txn(conn, channel_id, root_ts)
        return root
    return None


# -- the events of messages (Slack's RTM shapes) --------------------------------------------


def posted_event(message: Message, **extra: Any) -> Event:
    """A new message's event; `extra` fields go with it (a channel_topic's `topic`)."""
    payload = {**message_json(message, include_channel=True), "event_ts": message.ts, **extra}
    return to_channel(message.workspace_id, message.channel_id, payload)


def changed_event(before: Message, after: Message, event_ts: str) -> Event:
    payload = {
        **_hidden("message_changed", after.channel_id, event_ts),
        "message": message_json(after),
        "previous_message": message_json(before),
    }
    return to_channel(after.workspace_id, after.channel_id, payload)


def deleted_event(before: Message, event_ts: str) -> Event:
    payload = {
        **_hidden("message_deleted", before.channel_id, event_ts),
        "deleted_ts": before.ts,
        "previous_message": message_json(before),
    }
    return to_channel(before.workspace_id, before.channel_id, payload)


def _hidden(subtype: str, channel_id: str, event_ts: str) -> dict[str, Any]:
    """What every change to a message says: clients update it rather than show a new one."""
    return {
        "type": "message",
        "subtype": subtype,
        "hidden": True,
        "channel": channel_id,
        "event_ts": event_ts,
        "ts": event_ts,
    }


async def get_message(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    ts: str,
    is_bot: bool = False,
) -> Message:
    """One message of a conversation the user may read, with its reactions."""
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        await readable_channel_txn(conn, workspace_id, user_id, channel_id, is_bot=is_bot)
        message = await store.get_message_txn(conn, channel_id, ts)
        if message is None:
            raise _no_message(ts)
        return (await with_reactions_txn(conn, [message]))[0]


async def post_ephemeral(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    recipient: str,
    text: str,
    blocks: list[Any] | None = None,
    attachments: list[Any] | None = None,
) -> str:
    """Send an ephemeral message ("only visible to you") to `recipient`; its ts.

    Ephemeral messages are never stored: as Slack does, they go once, to the recipient's live
    connections, and a client that is offline never sees them.
    """
    check_content(text, blocks, attachments)
    channel_id = await conversation_for(
        ctx, workspace_id=workspace_id, user_id=user_id, ref=channel_id
    )
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        channel = await writable_channel_txn(conn, workspace_id, user_id, channel_id)
        if not await membership_store.is_member_txn(conn, channel_id, recipient):
            raise BackchannelError(
                f"{recipient} is not in the channel", slack_error="user_not_in_channel"
            )
    ephemeral = Message(
        channel_id=channel.id,
        ts=next_ts(ctx.clock(), channel.last_ts),
        workspace_id=channel.workspace_id,
        user_id=user_id,
        text=text,
        blocks=blocks or None,
        attachments=_numbered(attachments),
    )
    await events.publish_live(ctx, _ephemeral_event(ephemeral, recipient))
    return ephemeral.ts


def _ephemeral_event(message: Message, recipient: str) -> Event:
    payload = {**posted_event(message).payload, "is_ephemeral": True}
    return to_user(message.workspace_id, recipient, payload)


async def live_message_txn(conn: Conn, channel_id: str, ts: str) -> Message:
    """A message that is there to act on: tombstones count as gone."""
    message = await store.get_message_txn(conn, channel_id, ts)
    if message is None or message.subtype == "tombstone":
        raise _no_message(ts)
    return message


def _no_message(ts: str) -> NotFound:
    return NotFound(f"no message {ts} in this channel", slack_error="message_not_found")
