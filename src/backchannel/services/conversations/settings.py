"""Channel settings: archiving, renaming, topic and purpose, with Slack's rules on who may.

Members of a channel, and the workspace's admins, may archive or rename it; #general is
never archived and only admins rename it. Each runs at the channel's home (its id's shard),
and a shared channel is managed by its home: another side's members set its topic and
purpose, but neither archive nor rename it. DMs have none of these. Archiving and renaming
publish Slack's channel_* events (group_* for a private channel, to its members only). A new
topic or purpose is announced as Slack does it: a channel_topic or channel_purpose message
in the conversation, from whoever set it (docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backchannel.errors import AlreadyExists, BackchannelError, InvalidArgument, NotFound
from backchannel.models import Channel, Event, Message
from backchannel.models.events import to_channel, to_workspace
from backchannel.router import Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_member_txn,
    check_not_archived,
    conversation_txn,
    is_admin_txn,
    may_manage_txn,
    not_in_channel,
)
from backchannel.services.conversations.channels import (
    NOT_SUPPORTED,
    check_slack_channel_name,
    now_ts,
)
from backchannel.services.messaging.messages import posted_event
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import messages as message_store

MAX_TOPIC = 250  # Slack's limit for a topic or a purpose
RESTRICTED = "restricted_action"


async def archive_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await _manageable_txn(conn, workspace_id, user_id, channel_id, RESTRICTED)
        if channel.is_general:
            raise BackchannelError("#general is never archived", slack_error="cant_archive_general")
        if channel.is_archived:
            raise BackchannelError(
                "the channel is archived already", slack_error="already_archived"
            )
        await store.set_archived_txn(conn, channel_id, archived=True)
        await events.append_txn(ctx, conn, _archive_event(channel, "archive", user_id, now_ts(ctx)))


async def unarchive_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await _manageable_txn(conn, workspace_id, user_id, channel_id, RESTRICTED)
        if not channel.is_archived:
            raise BackchannelError("the channel is not archived", slack_error="not_archived")
        await store.set_archived_txn(conn, channel_id, archived=False)
        await events.append_txn(
            ctx, conn, _archive_event(channel, "unarchive", user_id, now_ts(ctx))
        )


async def rename_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, name: str
) -> Channel:
    name = check_slack_channel_name(name)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await _manageable_txn(conn, workspace_id, user_id, channel_id, "not_authorized")
        check_not_archived(channel)
        home = channel.workspace_id
        if channel.is_general and not await is_admin_txn(conn, home, user_id):
            raise BackchannelError("only admins rename #general", slack_error="not_authorized")
        if name != channel.name:
            if await store.channel_by_name_txn(conn, home, name) is not None:
                raise AlreadyExists(
                    f"a channel named #{name} already exists", slack_error="name_taken"
                )
            await store.rename_channel_txn(conn, channel_id, name)
            await events.append_txn(ctx, conn, _rename_event(channel, name, now_ts(ctx)))
    return replace(channel, name=name)


def _archive_event(channel: Channel, change: str, user_id: str, event_ts: str) -> Event:
    """channel_archive, group_unarchive...: {"channel": C, "user": who did it}."""
    payload = {"channel": channel.id, "user": user_id, "event_ts": event_ts}
    return _to_viewers(channel, change, payload)


def _rename_event(channel: Channel, name: str, event_ts: str) -> Event:
    summary = {"id": channel.id, "name": name, "created": int(channel.created)}
    return _to_viewers(channel, "rename", {"channel": summary, "event_ts": event_ts})


def _to_viewers(channel: Channel, change: str, payload: dict[str, Any]) -> Event:
    """A public channel's change is the workspace's news; a private one's, its members'."""
    if channel.is_private or channel.is_mpim:
        return to_channel(channel.workspace_id, channel.id, {"type": f"group_{change}", **payload})
    return to_workspace(channel.workspace_id, {"type": f"channel_{change}", **payload})


async def set_topic(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, topic: str
) -> Channel:
    _check_length("topic", topic)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await _writable_txn(conn, workspace_id, user_id, channel_id)
        await store.set_topic_txn(conn, channel_id, topic=topic, creator=user_id, now=ctx.clock())
        await _announce_txn(ctx, conn, channel, (workspace_id, user_id), "topic", topic)
        return await _reread_txn(conn, channel_id)


async def set_purpose(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, purpose: str
) -> Channel:
    _check_length("purpose", purpose)
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await _writable_txn(conn, workspace_id, user_id, channel_id)
        await store.set_purpose_txn(
            conn, channel_id, purpose=purpose, creator=user_id, now=ctx.clock()
        )
        await _announce_txn(ctx, conn, channel, (workspace_id, user_id), "purpose", purpose)
        return await _reread_txn(conn, channel_id)


async def _announce_txn(
    ctx: ServiceContext,
    conn: Transaction,
    channel: Channel,
    author: tuple[str, str],
    setting: str,
    value: str,
) -> None:
    """Slack's channel_topic / channel_purpose message by `author` (workspace, user); its
    event also carries the value, so clients update the header without asking."""
    team, user_id = author
    draft = Message(
        channel_id=channel.id,
        ts="",
        workspace_id=channel.workspace_id,
        user_id=user_id,
        user_team=team if team != channel.workspace_id else None,
        subtype=f"channel_{setting}",
        text=f"set the channel {setting}: {value}" if value else f"cleared the channel {setting}",
    )
    locked = await message_store.lock_channel_txn(conn, channel.id)
    message = await message_store.insert_message_txn(conn, draft, ctx.clock(), locked=locked)
    await events.append_txn(ctx, conn, posted_event(message, **{setting: value}))


def _check_length(what: str, text: str) -> None:
    if len(text) > MAX_TOPIC:
        raise InvalidArgument(
            f"a {what} has at most {MAX_TOPIC} characters, got {len(text)}", slack_error="too_long"
        )


async def _manageable_txn(
    conn: Conn, workspace_id: str, user_id: str, channel_id: str, refused: str
) -> Channel:
    """A channel (not a DM) that this member or admin may archive or rename. A shared
    channel is managed from its home: another workspace's people get `refused`."""
    channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
    if channel.is_im or channel.is_mpim:
        raise BackchannelError("DMs have no such setting", slack_error=NOT_SUPPORTED)
    if not await may_manage_txn(conn, channel, user_id):
        if workspace_id != channel.workspace_id:
            raise BackchannelError(
                "a shared channel is managed by its own workspace", slack_error=refused
            )
        raise not_in_channel()
    return channel


async def _writable_txn(conn: Conn, workspace_id: str, user_id: str, channel_id: str) -> Channel:
    """A conversation whose topic and purpose this member may set (group DMs have them too)."""
    channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
    if channel.is_im:
        raise BackchannelError("a DM has no topic or purpose", slack_error=NOT_SUPPORTED)
    check_not_archived(channel)
    await check_member_txn(conn, channel, user_id)
    return channel


async def _reread_txn(conn: Conn, channel_id: str) -> Channel:
    channel = await store.get_channel_txn(conn, channel_id)
    if channel is None:  # it was there a statement ago, in this same transaction
        raise NotFound(f"no channel {channel_id}", slack_error="channel_not_found")
    return channel
