"""Direct messages: one DM per pair of people (or with oneself), one group DM per set of 3-9.

Opening one that exists returns it, so a conversation between the same people is never
split in two. Opening a new one tells each of its people (im_created or mpim_joined, which
also make them members for the edge; docs/realtime.md); opening one again tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import Channel, Event
from backchannel.models.events import to_user
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import access_channel_txn
from backchannel.services.conversations.channels import NOT_SUPPORTED, now_ts
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users
from backchannel.storage.shard.messages import im_between_txn
from backchannel.types import DIRECT_MESSAGE, PRIVATE_CHANNEL, keyspace_of, new_keyed_id
from backchannel.wire import conversation_json

MAX_OTHERS = store.MAX_GROUP_DM - 1


@dataclass(frozen=True)
class Opened:
    channel: Channel
    members: list[str]
    already_open: bool


async def open_conversation(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, with_users: list[str]
) -> Opened:
    """The DM (one other person, or nobody else) or group DM (2-8 others) of these people."""
    others = [other for other in dict.fromkeys(with_users) if other != user_id]
    if len(others) > MAX_OTHERS:
        raise InvalidArgument(
            f"a group DM holds at most {MAX_OTHERS} people besides you, got {len(others)}",
            slack_error="too_many_users",
        )
    people = [user_id, *others]
    async with ctx.router.write(ShardFor(workspace_id)) as conn:
        for other in others:
            await _check_person_txn(conn, workspace_id, other)
        await users.lock_person_txn(conn, min(people))
        existing = await _existing_txn(conn, workspace_id, people)
        if existing is not None:
            return Opened(existing, people, already_open=True)
        channel = _new_direct(workspace_id, user_id, is_group=len(others) > 1, now=ctx.clock())
        await store.insert_channel_txn(conn, channel)
        for person in people:
            await membership_store.add_member_txn(
                conn,
                channel_id=channel.id,
                user_id=person,
                workspace_id=workspace_id,
                now=channel.created,
            )
        event_ts = now_ts(ctx)
        for person in people:
            await events.append_txn(ctx, conn, opened_event(channel, people, person, event_ts))
    return Opened(channel, people, already_open=False)


def opened_event(channel: Channel, people: list[str], member: str, event_ts: str) -> Event:
    """One member's news of a new DM (im_created) or group DM (mpim_joined), as they see it."""
    view = conversation_json(
        channel, viewer=member, is_member=True, members=people, num_members=len(people)
    )
    if channel.is_im:
        payload = {"type": "im_created", "user": member, "channel": view, "event_ts": event_ts}
    else:
        payload = {"type": "mpim_joined", "channel": view, "event_ts": event_ts}
    return to_user(channel.workspace_id, member, payload, channel_id=channel.id, membership="join")


async def resume_conversation(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> Opened:
    """conversations.open with a DM's id: the DM, if the caller is in it."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if not (channel.is_im or channel.is_mpim):
            raise BackchannelError("only DMs are opened", slack_error=NOT_SUPPORTED)
        members = (await membership_store.direct_members_txn(conn, [channel_id])).get(
            channel_id, []
        )
    return Opened(channel, members, already_open=True)


async def _check_person_txn(conn: Conn, workspace_id: str, user_id: str) -> None:
    person = await users.get_user_txn(conn, workspace_id, user_id)
    if person is None:
        raise NotFound(f"no user {user_id}", slack_error="user_not_found")
    if person.deleted:
        raise BackchannelError(f"{user_id} is deactivated", slack_error="user_disabled")


async def _existing_txn(conn: Conn, workspace_id: str, people: list[str]) -> Channel | None:
    if len(people) <= 2:
        found = await im_between_txn(conn, workspace_id, people[0], people[-1])
        return await store.get_channel_txn(conn, found) if found is not None else None
    return await store.group_dm_of_txn(conn, workspace_id, people)


def _new_direct(workspace_id: str, opener: str, *, is_group: bool, now: float) -> Channel:
    prefix = PRIVATE_CHANNEL if is_group else DIRECT_MESSAGE
    return Channel(
        id=new_keyed_id(prefix, keyspace_of(workspace_id)),
        workspace_id=workspace_id,
        name=None,
        is_private=is_group,  # a DM's is_im says it all, as in services/messaging/messages.py
        is_im=not is_group,
        is_mpim=is_group,
        is_general=False,
        is_archived=False,
        creator=opener,
        created=now,
    )
