"""The edge's cache, filled from a snapshot and kept by the events after it, is the cache a
fresh snapshot fills (docs/edge-cache.md; Zulip's EventsRegisterTest).

Hypothesis writes through the services, on a real SQLite deployment: people join, leave
and change their profiles, channels are made, renamed, archived and given topics, DMs are
opened. Each example makes a workspace of its own, on a clock of its own (so that a
failing one replays alike), fills a cache, makes every kind of write once in a drawn order
(refused ones too), applies the events the log gained to that cache, and compares what it
serves with a cache filled afresh. Derandomized: CI sees the same examples every run.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backchannel.edge.cache import events as cache_events
from backchannel.edge.cache.rows import WorkspaceCache
from backchannel.errors import BackchannelError
from backchannel.models import Event, Position, TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels, direct_messages
from backchannel.services.conversations import settings as channel_settings
from backchannel.services.messaging import messages
from backchannel.services.people import profiles, users
from backchannel.services.realtime import boot, events
from backchannel.services.tenancy import workspaces
from tests.conftest import SQLITE
from tests.support.clock import FakeClock

TOWNS = itertools.count()  # each example's workspace is named after its number
NAMES = st.sampled_from(["Ann Lee", "Ann Leeds", "Bo", "Zoë Öst", "carol"])
CHANNEL_NAMES = st.sampled_from(["ops", "plans", "ops-2", "lunch"])
TEXTS = st.sampled_from(["", "ship it", "Tea at 4", "ann"])
PROFILE_FIELDS = st.sampled_from(["display_name", "real_name", "title", "first_name"])


@dataclass
class Town:
    """An example's workspace: its people (an admin first) and conversations so far."""

    ctx: ServiceContext
    workspace_id: str
    people: list[str]
    conversations: list[str]
    creators: dict[str, str]  # channel -> who made it, the channels made here
    made: int = 0
    writes: list[str] = field(default_factory=list)  # for a failure's message


async def new_town(ctx: ServiceContext, number: int) -> Town:
    """A workspace with its mayor (an admin), Ann, Bo, #square with the three of them, and
    Cy, new in town (in #general only), and a bot."""
    domain = f"town{number}"
    made = await workspaces.create_workspace(ctx, name=domain.title(), domain=domain)
    people = [
        await users.create_user(
            ctx, workspace=made.id, email=f"{name}@{domain}.test", name=name, admin=admin
        )
        for name, admin in (("Mayor", True), ("Ann", False), ("Bo", False), ("Cy", False))
    ]
    ids = [person.user.id for person in people]
    ids.append((await users.create_bot(ctx, workspace=made.id, name="Robo")).user.id)
    square = await channels.create_channel(ctx, workspace_id=made.id, creator=ids[0], name="square")
    for person in ids[1:3]:
        await channels.join_channel(ctx, workspace_id=made.id, user_id=person, channel_id=square.id)
    snapshot = await boot.snapshot(ctx, made.id)
    general = next(channel.id for channel in snapshot.channels if channel.is_general)
    # In the order they were made, not by id: ids are random, and an example replays alike.
    return Town(ctx, made.id, ids, [general, square.id], {square.id: ids[0]})


async def cache_now(town: Town) -> WorkspaceCache:
    snapshot = await boot.snapshot(town.ctx, town.workspace_id)
    return WorkspaceCache.from_snapshot(snapshot, town.ctx.public_url)


def served(cache: WorkspaceCache) -> dict[str, Any]:
    """Everything the cache answers with, for every viewer, and its search indexes; in parts
    that a failure names."""
    viewers = sorted(cache.users)
    parts: dict[str, Any] = {
        "log position": (cache.epoch, cache.through),
        "team": cache.team,
        "deactivated": cache.inactive,
        "bots": cache.bots,
        "members": cache.members,
        "joined": {user_id: ids for user_id, ids in cache.joined.items() if ids},
        "people found by": cache.names,
        "channels found by": cache.channel_names,
    }
    for user_id in viewers:
        parts[f"user {user_id}"] = cache.user_view(user_id, "away")
    for channel_id in sorted(cache.channels):
        views = {viewer: cache.channel_view(channel_id, viewer) for viewer in viewers}
        parts[f"conversation {channel_id}"] = views
    return parts


# -- the writes ------------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]


async def new_person(town: Town, draw: Draw) -> str:
    town.made += 1
    name = draw(NAMES)
    if draw(st.booleans()):
        bot = await users.create_bot(town.ctx, workspace=town.workspace_id, name=name)
        town.people.append(bot.user.id)
        return f"bot {name}"
    email = f"person{town.made}@town.test"
    made = await users.create_user(town.ctx, workspace=town.workspace_id, email=email, name=name)
    town.people.append(made.user.id)
    return f"person {name}"


async def change_profile(town: Town, draw: Draw) -> str:
    who, other = draw(st.sampled_from(town.people)), draw(st.sampled_from(town.people))
    whose = other if draw(st.booleans()) else who  # an admin may change another's
    changes = {draw(PROFILE_FIELDS): draw(TEXTS)}
    caller = TokenInfo(who, town.workspace_id, "user")
    await profiles.set_profile(town.ctx, caller, changes, user_id=whose)
    return f"{who} sets {whose}'s {changes}"


async def deactivate(town: Town, draw: Draw) -> str:
    whose = draw(st.sampled_from(newest_first(town.people[1:])))  # not the mayor
    await users.deactivate_user(town.ctx, workspace_id=town.workspace_id, user_id=whose)
    return f"deactivate {whose}"


async def create_channel(town: Town, draw: Draw) -> str:
    who, name, private = (
        draw(st.sampled_from(town.people)),
        draw(CHANNEL_NAMES),
        draw(st.booleans()),
    )
    made = await channels.create_channel(
        town.ctx, workspace_id=town.workspace_id, creator=who, name=name, is_private=private
    )
    town.conversations.append(made.id)
    town.creators[made.id] = who
    return f"{who} creates {'private ' if private else ''}#{name}"


async def open_dm(town: Town, draw: Draw) -> str:
    who = draw(st.sampled_from(town.people))
    others = draw(st.lists(st.sampled_from(town.people), min_size=1, max_size=3))
    opened = await direct_messages.open_conversation(
        town.ctx, workspace_id=town.workspace_id, user_id=who, with_users=others
    )
    town.conversations.append(opened.channel.id)
    return f"{who} opens a DM with {others}"


def newest_first(made: list[str]) -> list[str]:
    """Hypothesis draws the first of a list most often: what an example made itself."""
    return made[::-1]


def _in_a_conversation(town: Town, draw: Draw) -> dict[str, str]:
    return {
        "workspace_id": town.workspace_id,
        "user_id": draw(st.sampled_from(town.people)),
        "channel_id": draw(st.sampled_from(newest_first(town.conversations))),
    }


async def join(town: Town, draw: Draw) -> str:
    where = _in_a_conversation(town, draw)
    await channels.join_channel(town.ctx, **where)
    return f"join {where}"


async def leave(town: Town, draw: Draw) -> str:
    where = _in_a_conversation(town, draw)
    await channels.leave_channel(town.ctx, **where)
    return f"leave {where}"


def _someone_else(town: Town, draw: Draw) -> tuple[str, str, str]:
    """(who acts, in which conversation, on whom): often the channel's creator, who is in
    it, on someone made lately, who may not be."""
    where = _in_a_conversation(town, draw)
    anyone, channel_id = where["user_id"], where["channel_id"]
    creator = town.creators.get(channel_id, town.people[0])
    actor = creator if draw(st.booleans()) else anyone
    return actor, channel_id, draw(st.sampled_from(newest_first(town.people)))


async def invite(town: Town, draw: Draw) -> str:
    inviter, channel_id, guest = _someone_else(town, draw)
    await channels.invite_to_channel(
        town.ctx,
        workspace_id=town.workspace_id,
        inviter=inviter,
        channel_id=channel_id,
        user_ids=[guest],
    )
    return f"{inviter} invites {guest} to {channel_id}"


async def kick(town: Town, draw: Draw) -> str:
    kicker, channel_id, kicked = _someone_else(town, draw)
    await channels.kick_from_channel(
        town.ctx,
        workspace_id=town.workspace_id,
        kicker=kicker,
        channel_id=channel_id,
        user_id=kicked,
    )
    return f"{kicker} kicks {kicked} from {channel_id}"


async def rename(town: Town, draw: Draw) -> str:
    where, name = _in_a_conversation(town, draw), draw(CHANNEL_NAMES)
    await channel_settings.rename_channel(town.ctx, **where, name=name)
    return f"rename {where} to {name}"


async def archive(town: Town, draw: Draw) -> str:
    where = _in_a_conversation(town, draw)
    if draw(st.booleans()):
        await channel_settings.archive_channel(town.ctx, **where)
        return f"archive {where}"
    await channel_settings.unarchive_channel(town.ctx, **where)
    return f"unarchive {where}"


async def set_text(town: Town, draw: Draw) -> str:
    where, text = _in_a_conversation(town, draw), draw(TEXTS)
    if draw(st.booleans()):
        await channel_settings.set_topic(town.ctx, **where, topic=text)
        return f"topic of {where}: {text!r}"
    await channel_settings.set_purpose(town.ctx, **where, purpose=text)
    return f"purpose of {where}: {text!r}"


async def post(town: Town, draw: Draw) -> str:
    where, named = _in_a_conversation(town, draw), draw(st.sampled_from(town.people))
    await messages.post_message(town.ctx, **where, text=f"hi <@{named}>")
    return f"post in {where}"


WRITES: list[Callable[[Town, Draw], Awaitable[str]]] = [
    join,
    leave,
    open_dm,
    create_channel,
    invite,
    kick,
    change_profile,
    rename,
    archive,
    set_text,
    new_person,
    deactivate,
    post,
]


async def events_since(town: Town, cache: WorkspaceCache) -> list[Event]:
    stream = (await town.ctx.router.assignment(town.workspace_id)).db_shard
    since = Position(stream, cache.epoch, cache.through)
    logged = await events.read_stream(town.ctx, since, limit=1000)
    assert len(logged) < 1000
    return [event for event in logged if event.workspace_id == town.workspace_id]


@SQLITE
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_a_snapshot_and_the_events_after_it_make_a_fresh_snapshot(
    ctx: ServiceContext, data: st.DataObject
) -> None:
    clock = FakeClock()  # time passes between the writes: what they stamp differs
    town = await new_town(ServiceContext(ctx.router, clock), next(TOWNS))
    cache = await cache_now(town)
    for write in data.draw(st.permutations(WRITES), label="order"):
        clock.now += 1.5
        try:
            town.writes.append(await write(town, data.draw))
            event(write.__name__, "made")  # --hypothesis-show-statistics
        except BackchannelError as refused:
            town.writes.append(f"{write.__name__}: refused, {refused.slack_error}")
            event(write.__name__, refused.slack_error)
    for logged in await events_since(town, cache):
        cache_events.apply(cache, logged)
    assert cache.stale == set(), town.writes
    replayed, fresh = served(cache), served(await cache_now(town))
    assert replayed.keys() == fresh.keys(), town.writes
    for part, shown in fresh.items():
        assert replayed[part] == shown, (part, town.writes)
