"""Channels: creation and membership, with Slack's rules on names and access.

Every verb on a channel runs at its home, on the shard of its id (access.py's
`conversation_txn`), whichever workspace it is called from: a channel shared with the
caller's workspace is there, and one it may not see fails as channel_not_found exactly like
a missing one. A shared channel is its home's to manage: the home's people in it and the
home's admins remove people; anyone in it brings in people of their own workspace. Settings
(archive, rename, topic, purpose) are in channel_settings.py, DMs in direct_messages.py.
Each change appends its RTM events in its own transaction (docs/realtime.md); the
membership events, which users.py and webhooks.py send too, are built here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backchannel.errors import AlreadyExists, BackchannelError, InvalidArgument, NotFound
from backchannel.models import Channel, Event, User
from backchannel.models.events import to_channel, to_user, to_workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_member_txn,
    check_not_archived,
    conversation_txn,
    may_manage_txn,
)
from backchannel.services.realtime import events
from backchannel.services.validation import check_channel_name
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users
from backchannel.types import (
    PRIVATE_CHANNEL,
    PUBLIC_CHANNEL,
    keyspace_of,
    new_keyed_id,
    ts_at,
)
from backchannel.wire import conversation_json

NOT_SUPPORTED = "method_not_supported_for_channel_type"
MAX_INVITES = 1000  # Slack's limit of people per conversations.invite
MAX_NAME = 80
_SLACK_NAME = re.compile(r"^[a-z0-9_-]+$")


@dataclass(frozen=True)
class Joined:
    channel: Channel
    already_in: bool


async def create_channel(
    ctx: ServiceContext, *, workspace_id: str, creator: str, name: str, is_private: bool = False
) -> Channel:
    """A new channel of the workspace, with its creator as first member."""
    name = check_channel_name(name)
    now = ctx.clock()
    prefix = PRIVATE_CHANNEL if is_private else PUBLIC_CHANNEL
    channel = Channel(
        id=new_keyed_id(prefix, keyspace_of(workspace_id)),
        workspace_id=workspace_id,
        name=name,
        is_private=is_private,
        is_im=False,
        is_mpim=False,
        is_general=False,
        is_archived=False,
        creator=creator,
        created=now,
    )
    async with ctx.router.write(ShardFor(workspace_id)) as conn:
        if await store.channel_by_name_txn(conn, workspace_id, name) is not None:
            raise AlreadyExists(f"a channel named #{name} already exists", slack_error="name_taken")
        await store.insert_channel_txn(conn, channel)
        await membership_store.add_member_txn(
            conn, channel_id=channel.id, user_id=creator, workspace_id=workspace_id, now=now
        )
        for event in _created_events(channel, now_ts(ctx)):
            await events.append_txn(ctx, conn, event)
    return channel


def _created_events(channel: Channel, event_ts: str) -> list[Event]:
    """As Slack: everybody hears of a public channel, only its members of a private one."""
    creator = channel.creator or ""
    joined = member_joined(channel, creator, event_ts)
    if channel.is_private:
        return [joined, group_joined(channel, creator, event_ts)]
    return [channel_created(channel, event_ts), joined]


def channel_created(channel: Channel, event_ts: str) -> Event:
    """A new public channel, to the whole workspace: a summary, as Slack sends it."""
    summary = {
        "id": channel.id,
        "name": channel.name,
        "created": int(channel.created),
        "creator": channel.creator or "",
    }
    payload = {"type": "channel_created", "channel": summary, "event_ts": event_ts}
    return to_workspace(channel.workspace_id, payload)


async def create_conversation(
    ctx: ServiceContext, *, workspace_id: str, creator: str, name: str, is_private: bool = False
) -> Channel:
    """conversations.create: Slack refuses names it would have to change (no lowercasing)."""
    return await create_channel(
        ctx,
        workspace_id=workspace_id,
        creator=creator,
        name=check_slack_channel_name(name),
        is_private=is_private,
    )


def check_slack_channel_name(name: str) -> str:
    """A channel name as Slack's API takes it, with Slack's error for each way it can fail."""
    if not name:
        raise InvalidArgument("a channel needs a name", slack_error="invalid_name_required")
    if len(name) > MAX_NAME:
        raise InvalidArgument(
            f"a channel name has at most {MAX_NAME} characters, got {len(name)}",
            slack_error="invalid_name_maxlength",
        )
    if not _SLACK_NAME.match(name):
        raise InvalidArgument(
            f"channel name {name!r} may hold only lower-case letters, digits, - and _",
            slack_error="invalid_name_specials",
        )
    if not name.strip("-_"):
        raise InvalidArgument(
            f"channel name {name!r} has only punctuation", slack_error="invalid_name_punctuation"
        )
    return name


async def join_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> Joined:
    """Join a public channel; joining one already joined is not an error (as in Slack)."""
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if channel.is_im or channel.is_mpim or channel.is_private:
            raise BackchannelError("only public channels can be joined", slack_error=NOT_SUPPORTED)
        check_not_archived(channel)
        if await membership_store.is_member_txn(conn, channel_id, user_id):
            return Joined(channel, already_in=True)
        await membership_store.add_member_txn(
            conn, channel_id=channel_id, user_id=user_id, workspace_id=workspace_id, now=ctx.clock()
        )
        await events.append_txn(ctx, conn, member_joined(channel, user_id, now_ts(ctx)))
    return Joined(channel, already_in=False)


async def leave_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> bool:
    """Leave a channel; False when the user was not in it (Slack answers ok, not_in_channel)."""
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if channel.is_im or channel.is_mpim:
            raise BackchannelError("a DM cannot be left, only closed", slack_error=NOT_SUPPORTED)
        if channel.is_general:
            raise BackchannelError("nobody leaves #general", slack_error="cant_leave_general")
        check_not_archived(channel)
        if not await membership_store.is_member_txn(conn, channel_id, user_id):
            return False
        if channel.is_private and await membership_store.count_members_txn(conn, channel_id) == 1:
            # Nobody could ever get back in: archive it instead.
            raise BackchannelError(
                "the last member of a private channel cannot leave it", slack_error="last_member"
            )
        await membership_store.remove_member_txn(conn, channel_id, user_id)
        await events.append_txn(ctx, conn, member_left(channel, user_id, now_ts(ctx)))
    return True


async def invite_to_channel(
    ctx: ServiceContext, *, workspace_id: str, inviter: str, channel_id: str, user_ids: list[str]
) -> Channel:
    """Add people of the inviter's workspace to a channel the inviter is in (the only way
    into a private one)."""
    if not user_ids:
        raise InvalidArgument("name at least one person to invite", slack_error="no_user")
    if len(user_ids) > MAX_INVITES:
        raise InvalidArgument(
            f"at most {MAX_INVITES} people per invitation, got {len(user_ids)}",
            slack_error="too_many_users",
        )
    invitees = list(dict.fromkeys(user_ids))
    # The invitees live on their workspace's shard, the channel on its home's: read them
    # first, and say what is wrong with them only after the channel's own checks.
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = {p.id: p for p in await users.users_by_ids_txn(conn, workspace_id, invitees)}
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, inviter, channel_id)
        if channel.is_im or channel.is_mpim:
            raise BackchannelError("nobody can be added to a DM", slack_error=NOT_SUPPORTED)
        check_not_archived(channel)
        await check_member_txn(conn, channel, inviter)
        event_ts = now_ts(ctx)
        for user_id in invitees:
            _check_invitee(found.get(user_id), inviter, user_id)
            if await membership_store.is_member_txn(conn, channel_id, user_id):
                raise AlreadyExists(
                    f"{user_id} is already in the channel", slack_error="already_in_channel"
                )
            await membership_store.add_member_txn(
                conn,
                channel_id=channel_id,
                user_id=user_id,
                workspace_id=workspace_id,
                now=ctx.clock(),
            )
            await events.append_txn(
                ctx, conn, member_joined(channel, user_id, event_ts, inviter=inviter)
            )
            if channel.is_private:  # the invitee could not see it before: send it whole
                await events.append_txn(ctx, conn, group_joined(channel, user_id, event_ts))
    return channel


def _check_invitee(person: User | None, inviter: str, user_id: str) -> None:
    if user_id == inviter:
        raise InvalidArgument("you cannot invite yourself", slack_error="cant_invite_self")
    if person is None:
        raise NotFound(f"no user {user_id} in your workspace", slack_error="user_not_found")
    if person.deleted:
        raise BackchannelError(f"{user_id} is deactivated", slack_error="cant_invite")


async def kick_from_channel(
    ctx: ServiceContext, *, workspace_id: str, kicker: str, channel_id: str, user_id: str
) -> None:
    """Remove someone from a channel: its home's members (and admins) may, except from
    #general, whichever workspace the one removed is of."""
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        channel = await access_channel_txn(conn, workspace_id, kicker, channel_id)
        if channel.is_im or channel.is_mpim:
            raise BackchannelError("nobody can be removed from a DM", slack_error=NOT_SUPPORTED)
        if user_id == kicker:
            raise InvalidArgument("leave the channel instead", slack_error="cant_kick_self")
        if channel.is_general:
            raise BackchannelError(
                "nobody is removed from #general", slack_error="cant_kick_from_general"
            )
        if not await may_manage_txn(conn, channel, kicker):
            raise BackchannelError(
                "only the members and admins of the channel's workspace remove people",
                slack_error="restricted_action",
            )
        if not await membership_store.is_member_txn(conn, channel_id, user_id):
            # Members of every side are known here, other people only of the home.
            if await users.get_user_txn(conn, channel.workspace_id, user_id) is None:
                raise NotFound(f"no user {user_id}", slack_error="user_not_found")
            raise BackchannelError(f"{user_id} is not in the channel", slack_error="not_in_channel")
        await membership_store.remove_member_txn(conn, channel_id, user_id)
        await events.append_txn(ctx, conn, member_left(channel, user_id, now_ts(ctx)))


# -- the events of membership changes (docs/realtime.md) -----------------------------------


def now_ts(ctx: ServiceContext) -> str:
    """Now as a Slack ts: every event's event_ts."""
    return ts_at(ctx.clock())


def channel_type(channel: Channel) -> str:
    """Slack's one-letter kind: C public, G private or group DM, D DM."""
    if channel.is_im:
        return "D"
    return "G" if channel.is_private or channel.is_mpim else "C"


def member_joined(
    channel: Channel, user_id: str, event_ts: str, *, inviter: str | None = None
) -> Event:
    """`user_id` is in the channel from this event on (the edge adds them before delivery)."""
    payload = _membership_payload("member_joined_channel", channel, user_id, event_ts)
    if inviter is not None:
        payload["inviter"] = inviter
    return to_channel(channel.workspace_id, channel.id, payload, user_id=user_id, membership="join")


def member_left(channel: Channel, user_id: str, event_ts: str) -> Event:
    """`user_id` left or was removed; they still get this event (removed after delivery)."""
    payload = _membership_payload("member_left_channel", channel, user_id, event_ts)
    return to_channel(
        channel.workspace_id, channel.id, payload, user_id=user_id, membership="leave"
    )


def group_joined(channel: Channel, user_id: str, event_ts: str) -> Event:
    """The whole private channel, to a member who had no way to see it before."""
    view = conversation_json(channel, viewer=user_id, is_member=True)
    payload = {"type": "group_joined", "channel": view, "event_ts": event_ts}
    return to_user(channel.workspace_id, user_id, payload)


def _membership_payload(kind: str, channel: Channel, user_id: str, event_ts: str) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user_id,
        "channel": channel.id,
        "channel_type": channel_type(channel),
        "team": channel.workspace_id,
        "event_ts": event_ts,
    }
