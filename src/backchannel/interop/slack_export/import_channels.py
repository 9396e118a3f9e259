"""Importing a Slack export's conversations into a workspace (docs/slack-export.md).

Each conversation is one shard transaction: the channel with its members, topic, purpose
and archived state, what its Slack id became, and the events that tell connected clients
and the edges' caches. Slack's #general is the workspace's #general; a DM or group DM of
people who already have one here is that one (one per set of people). A name taken by
another channel gets a suffix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from backchannel.interop.slack_export.records import IM, MPIM, PRIVATE, Skip, SlackChannel
from backchannel.interop.slack_export.state import ImportSummary, Maps, Progress
from backchannel.models import Channel, Event, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.channels import (
    channel_created,
    group_joined,
    member_joined,
    now_ts,
)
from backchannel.services.conversations.direct_messages import opened_event
from backchannel.services.realtime import events
from backchannel.services.validation import first_free
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import imports
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users as user_store
from backchannel.storage.shard.messages import im_between_txn
from backchannel.types import DIRECT_MESSAGE, PRIVATE_CHANNEL, PUBLIC_CHANNEL, new_keyed_id

_NOT_IN_NAME = re.compile(r"[^a-z0-9_-]+")
GENERAL = "general"


async def import_channels(
    ctx: ServiceContext,
    target: Workspace,
    conversations: Sequence[SlackChannel],
    maps: Maps,
    summary: ImportSummary,
    tell: Progress,
) -> None:
    for done, channel in enumerate(conversations, 1):
        if channel.id in maps.channels:
            summary.count("channels", present=1)
        else:
            await _import_one(ctx, target, channel, maps, summary)
        tell("channels", done, len(conversations))


async def _import_one(
    ctx: ServiceContext, target: Workspace, slack: SlackChannel, maps: Maps, summary: ImportSummary
) -> None:
    known = [maps.person(member) for member in slack.members]
    people = list(dict.fromkeys(person for person in known if person is not None))
    reason = _unusable(slack, people)
    if reason is not None:
        summary.skip(Skip("channels", slack.id, reason))
        return
    if len(people) < len(known):
        left_out = len(known) - len(people)
        summary.note(f"{slack.label}: {left_out} member(s) not in users.json were left out")
    async with ctx.router.write(ShardFor(target.id)) as conn:
        if slack.kind in (IM, MPIM):
            local, news, made = await _direct_txn(ctx, conn, target, slack, people)
        else:
            local, news, made = await _named_txn(ctx, conn, target, slack, maps, people, summary)
        for event in news:
            await events.append_txn(ctx, conn, event)
        pairs = [(slack.id, local.id)]
        await imports.record_ids_txn(conn, target.id, imports.CHANNEL, pairs, ctx.clock())
    maps.channels[slack.id] = local.id
    summary.count("channels", imported=int(made), present=int(not made))


def _unusable(slack: SlackChannel, people: list[str]) -> str | None:
    if slack.kind == IM and (len(people) != len(set(slack.members)) or not 1 <= len(people) <= 2):
        return "a DM whose people are not both in users.json: its messages are skipped"
    if slack.kind == MPIM and len(people) < 3:
        return "a group DM with fewer than 3 people in users.json: its messages are skipped"
    return None


async def _named_txn(
    ctx: ServiceContext,
    conn: Conn,
    target: Workspace,
    slack: SlackChannel,
    maps: Maps,
    people: list[str],
    summary: ImportSummary,
) -> tuple[Channel, list[Event], bool]:
    """A public or private channel: a new one, or the workspace's #general (and whether it
    is new)."""
    event_ts = now_ts(ctx)
    if slack.is_general or slack.name == GENERAL:
        general = await store.general_channel_txn(conn, target.id)
        if general is not None:
            if slack.name != general.name:
                summary.note(f"{slack.label} is imported into #{general.name}")
            return general, await _add_members_txn(ctx, conn, general, people, event_ts), False
    wanted = _channel_name(slack)
    name = await _free_name_txn(conn, target.id, wanted)
    if name != wanted:
        summary.note(f"{slack.label}: the name was taken, imported as #{name}")
    is_private = slack.kind == PRIVATE
    channel = _new_channel(ctx, target, slack, name=name, creator=maps.person(slack.creator))
    channel = _with_settings(channel, slack, maps)
    await store.insert_channel_txn(conn, channel)
    await _settings_txn(conn, channel)
    # The joins go first: an edge that meets a channel in a join reads it whole from the
    # shard (topic, purpose, archived), where channel_created alone is a summary.
    news = await _add_members_txn(ctx, conn, channel, people, event_ts)
    if is_private:
        news += [group_joined(channel, person, event_ts) for person in people]
    else:
        news.append(channel_created(channel, event_ts))
    return channel, news, True


def _with_settings(channel: Channel, slack: SlackChannel, maps: Maps) -> Channel:
    """The channel with Slack's topic and purpose, each with who set it and when."""
    topic, purpose = slack.topic, slack.purpose
    if topic is not None:
        channel = replace(
            channel,
            topic=topic.value,
            topic_creator=maps.person(topic.creator),
            topic_last_set=topic.last_set,
        )
    if purpose is not None:
        channel = replace(
            channel,
            purpose=purpose.value,
            purpose_creator=maps.person(purpose.creator),
            purpose_last_set=purpose.last_set,
        )
    return channel


async def _settings_txn(conn: Conn, channel: Channel) -> None:
    """Who set the topic and purpose, and when (inserting a channel stores only the text)."""
    if channel.topic_last_set is not None:
        await store.set_topic_txn(
            conn,
            channel.id,
            topic=channel.topic,
            creator=channel.topic_creator or "",
            now=channel.topic_last_set,
        )
    if channel.purpose_last_set is not None:
        await store.set_purpose_txn(
            conn,
            channel.id,
            purpose=channel.purpose,
            creator=channel.purpose_creator or "",
            now=channel.purpose_last_set,
        )


async def _add_members_txn(
    ctx: ServiceContext, conn: Conn, channel: Channel, people: list[str], event_ts: str
) -> list[Event]:
    joined = []
    for person in people:
        if not await membership_store.is_member_txn(conn, channel.id, person):
            await membership_store.add_member_txn(
                conn,
                channel_id=channel.id,
                user_id=person,
                workspace_id=channel.workspace_id,
                now=ctx.clock(),
            )
            joined.append(member_joined(channel, person, event_ts))
    return joined


async def _direct_txn(
    ctx: ServiceContext, conn: Conn, target: Workspace, slack: SlackChannel, people: list[str]
) -> tuple[Channel, list[Event], bool]:
    """A DM or group DM: the one these people have here already, or a new one."""
    await user_store.lock_person_txn(conn, min(people))
    if slack.kind == IM:
        found = await im_between_txn(conn, target.id, people[0], people[-1])
        existing = await store.get_channel_txn(conn, found) if found is not None else None
    else:
        existing = await store.group_dm_of_txn(conn, target.id, people)
    if existing is not None:
        return existing, [], False
    channel = _new_channel(ctx, target, slack, name=None, creator=people[0])
    await store.insert_channel_txn(conn, channel)
    for person in people:
        await membership_store.add_member_txn(
            conn, channel_id=channel.id, user_id=person, workspace_id=target.id, now=ctx.clock()
        )
    event_ts = now_ts(ctx)
    return channel, [opened_event(channel, people, person, event_ts) for person in people], True


def _new_channel(
    ctx: ServiceContext,
    target: Workspace,
    slack: SlackChannel,
    *,
    name: str | None,
    creator: str | None,
) -> Channel:
    prefix = {PRIVATE: PRIVATE_CHANNEL, MPIM: PRIVATE_CHANNEL, IM: DIRECT_MESSAGE}
    return Channel(
        id=new_keyed_id(prefix.get(slack.kind, PUBLIC_CHANNEL), target.keyspace),
        workspace_id=target.id,
        name=name,
        is_private=slack.kind in (PRIVATE, MPIM),  # a group DM is private too, as Slack has it
        is_im=slack.kind == IM,
        is_mpim=slack.kind == MPIM,
        is_general=False,
        is_archived=slack.is_archived,
        creator=creator,
        created=slack.created or ctx.clock(),
    )


def _channel_name(slack: SlackChannel) -> str:
    """Slack's name, made of what our channel names may hold."""
    name = _NOT_IN_NAME.sub("-", (slack.name or "").lower()).strip("-")[:80]
    return name or f"channel-{slack.id.lower()}"[:80]


async def _free_name_txn(conn: Conn, workspace_id: str, wanted: str) -> str:
    async def taken(name: str) -> bool:
        return await store.channel_by_name_txn(conn, workspace_id, name) is not None

    return await first_free(wanted, taken)
