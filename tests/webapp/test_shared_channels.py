"""Channels shared between workspaces of one organisation (admin.conversations.setTeams):
stored once at home, seen and used from every side, and gone at once on a disconnect.
Through Slack's SDK and real RTM sockets, on SQLite and PostgreSQL (docs/organisations.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from backchannel.app import Backchannel
from backchannel.models import TokenInfo
from backchannel.models.events import to_channel
from backchannel.ops import moves
from backchannel.router import ShardFor
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.people import users
from backchannel.services.realtime import events as event_service
from backchannel.services.tenancy import workspaces
from backchannel.storage.log import events as event_store
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import RtmSocket, live_edge, open_rtm
from tests.webapp.conftest import INITECH_PASSWORD, Initech, client_for, error_of, post


@dataclass
class Shared:
    """#projects of Initech HQ, shared with Initech Labs; olivia (HQ) and sam (Labs) in it."""

    channel: str
    olivia: ValidatingAsyncWebClient
    peter: ValidatingAsyncWebClient
    sam: ValidatingAsyncWebClient


@pytest.fixture
async def shared(server: str, initech: Initech, olivia: ValidatingAsyncWebClient) -> Shared:
    channel = (await olivia.conversations_create(name="projects"))["channel"]["id"]
    await olivia.admin_conversations_setTeams(
        channel_id=channel, team_id=initech.hq.id, target_team_ids=initech.labs.id
    )
    sam = client_for(server, initech.sam.token)
    await sam.conversations_join(channel=channel)
    return Shared(channel, olivia, client_for(server, initech.peter.token), sam)


@pytest.fixture(params=["apart", "together"])
async def placed(request: pytest.FixtureRequest, ctx: ServiceContext, initech: Initech) -> str:
    """HQ and Labs on two DB shards, as creation puts them (the least loaded of two), or
    Labs moved onto HQ's: what a shared channel does may not depend on where they are."""
    hq = (await ctx.router.assignment(initech.hq.id)).db_shard
    assert (await ctx.router.assignment(initech.labs.id)).db_shard != hq
    if request.param == "together":
        await moves.move_workspace(ctx, initech.labs.id, hq, grace=0.0)
    return str(request.param)


def _by_id(channels: list[dict]) -> dict[str, dict]:
    return {channel["id"]: channel for channel in channels}


async def test_the_other_workspace_sees_and_uses_the_channel(
    initech: Initech, shared: Shared
) -> None:
    hq, labs = initech.hq.id, initech.labs.id
    seen = _by_id((await shared.sam.conversations_list())["channels"])[shared.channel]
    assert (seen["is_shared"], seen["is_org_shared"], seen["is_ext_shared"]) == (True, True, False)
    assert seen["shared_team_ids"] == [hq, labs]
    assert (seen["conversation_host_id"], seen["context_team_id"]) == (hq, labs)
    at_home = (await shared.olivia.conversations_info(channel=shared.channel))["channel"]
    assert (at_home["context_team_id"], at_home["shared_team_ids"]) == (hq, [hq, labs])
    assert (await shared.olivia.admin_conversations_getTeams(channel_id=shared.channel))[
        "team_ids"
    ] == [hq, labs]

    # One conversation, both ways: each side posts, each side reads both, with its author's
    # workspace on each message.
    ts = await post(shared.sam, shared.channel, "from the lab")
    await post(shared.olivia, shared.channel, "from HQ", thread_ts=ts)
    history = (await shared.olivia.conversations_history(channel=shared.channel))["messages"]
    from_sam = next(m for m in history if m.get("text") == "from the lab")
    assert (from_sam["team"], from_sam["user_team"]) == (labs, labs)
    replies = (await shared.sam.conversations_replies(channel=shared.channel, ts=ts))["messages"]
    assert [m["text"] for m in replies] == ["from the lab", "from HQ"]
    assert replies[1]["team"] == hq and "user_team" not in replies[1]
    mine = (await shared.sam.users_conversations())["channels"]
    assert shared.channel in _by_id(mine)
    members = (await shared.sam.conversations_members(channel=shared.channel))["members"]
    assert set(members) == {initech.olivia.user.id, initech.sam.user.id}


async def test_rtm_start_lists_it_with_its_unread_count(
    edge_url: str, initech: Initech, shared: Shared
) -> None:
    await post(shared.olivia, shared.channel, "unread over there")
    boot = await shared.sam.rtm_start()
    channel = _by_id(boot["channels"])[shared.channel]
    assert (channel["is_member"], channel["is_shared"], channel["unread_count"]) == (True, True, 1)
    assert channel["latest"]["text"] == "unread over there"


async def test_people_of_the_other_side_are_seen_only_by_those_sharing_a_channel(
    initech: Initech, shared: Shared
) -> None:
    sam, olivia = initech.sam.user.id, initech.olivia.user.id
    assert (await shared.olivia.users_info(user=sam))["user"]["team_id"] == initech.labs.id
    assert (await shared.sam.users_info(user=olivia))["user"]["team_id"] == initech.hq.id
    # peter (HQ) is in no shared channel with sam; sam never meets peter.
    assert await error_of(shared.peter.users_info(user=sam)) == "user_not_found"
    assert await error_of(shared.sam.users_info(user=initech.peter.user.id)) == "user_not_found"


async def test_search_finds_messages_of_shared_channels_until_the_disconnect(
    initech: Initech, shared: Shared
) -> None:
    await post(shared.olivia, shared.channel, "the quarterly flamingo report")
    await post(shared.sam, shared.channel, "flamingo numbers from the lab")
    found = (await shared.sam.search_messages(query="flamingo", sort="timestamp"))["messages"]
    assert [(m["text"], m["username"]) for m in found["matches"]] == [
        ("flamingo numbers from the lab", "sam"),
        ("the quarterly flamingo report", "olivia"),
    ]
    assert found["total"] == 2
    at_home = (await shared.olivia.search_messages(query="flamingo"))["messages"]
    assert {(m["username"], m["team"]) for m in at_home["matches"]} == {
        ("sam", initech.labs.id),
        ("olivia", initech.hq.id),
    }
    await shared.olivia.admin_conversations_disconnectShared(
        channel_id=shared.channel, leaving_team_ids=initech.labs.id
    )
    assert (await shared.sam.search_messages(query="flamingo"))["messages"]["matches"] == []


async def test_unshared_channels_stay_home(server: str, initech: Initech, shared: Shared) -> None:
    secret = (await shared.olivia.conversations_create(name="hq-only"))["channel"]["id"]
    assert secret not in _by_id((await shared.sam.conversations_list())["channels"])
    assert await error_of(shared.sam.conversations_history(channel=secret)) == "channel_not_found"
    assert await error_of(shared.sam.conversations_join(channel=secret)) == "channel_not_found"
    assert await error_of(post(shared.sam, secret)) == "channel_not_found"


async def test_a_disconnect_ends_access_at_once(initech: Initech, shared: Shared) -> None:
    ts = await post(shared.olivia, shared.channel, "before")
    await shared.olivia.admin_conversations_disconnectShared(
        channel_id=shared.channel, leaving_team_ids=initech.labs.id
    )
    sam = shared.sam
    assert shared.channel not in _by_id((await sam.conversations_list())["channels"])
    assert shared.channel not in _by_id((await sam.users_conversations())["channels"])
    for refused in (
        sam.conversations_history(channel=shared.channel),
        sam.conversations_info(channel=shared.channel),
        sam.conversations_replies(channel=shared.channel, ts=ts),
        sam.conversations_join(channel=shared.channel),
        sam.reactions_add(channel=shared.channel, timestamp=ts, name="eyes"),
        post(sam, shared.channel, "after"),
    ):
        assert await error_of(refused) == "channel_not_found"
    assert await error_of(shared.olivia.users_info(user=initech.sam.user.id)) == "user_not_found"
    at_home = (await shared.olivia.conversations_info(channel=shared.channel))["channel"]
    assert at_home["is_shared"] is False and "shared_team_ids" not in at_home
    members = (await shared.olivia.conversations_members(channel=shared.channel))["members"]
    assert members == [initech.olivia.user.id]


async def test_only_the_org_admin_shares_and_bad_shares_change_nothing(
    server: str, initech: Initech, shared: Shared, olivia: ValidatingAsyncWebClient
) -> None:
    labs, hq = initech.labs.id, initech.hq.id
    channel = (await olivia.conversations_create(name="later"))["channel"]["id"]
    assert (
        await error_of(
            shared.peter.admin_conversations_setTeams(channel_id=channel, target_team_ids=labs)
        )
        == "not_an_admin"
    )
    dm = (await olivia.conversations_open(users=initech.peter.user.id))["channel"]["id"]
    assert (
        await error_of(olivia.admin_conversations_setTeams(channel_id=dm, target_team_ids=labs))
        == "channel_type_not_supported"
    )
    assert (
        await error_of(
            olivia.admin_conversations_setTeams(channel_id=channel, target_team_ids="T00099ZZZZZ")
        )
        == "team_not_found"
    )
    await olivia.conversations_archive(channel=channel)
    assert (
        await error_of(
            olivia.admin_conversations_setTeams(channel_id=channel, target_team_ids=labs)
        )
        == "channel_is_archived"
    )
    assert (
        await error_of(
            olivia.admin_conversations_disconnectShared(
                channel_id=shared.channel, leaving_team_ids=hq
            )
        )
        == "cannot_kick_home_team"
    )
    unshared = (await olivia.conversations_create(name="plain"))["channel"]["id"]
    assert (
        await error_of(
            olivia.admin_conversations_disconnectShared(channel_id=unshared, leaving_team_ids=labs)
        )
        == "no_teams_to_disconnect"
    )
    # None of it shared anything.
    listed = _by_id((await shared.sam.conversations_list())["channels"])
    assert set(listed) & {channel, dm, unshared} == set()
    assert (await olivia.admin_conversations_getTeams(channel_id=unshared))["team_ids"] == [hq]


async def test_the_other_sides_admin_cannot_administer_the_channel(
    placed: str, ctx: ServiceContext, server: str, initech: Initech, shared: Shared
) -> None:
    labs_admin = await users.create_user(
        ctx, workspace=initech.labs.id, email="lena@initech.test", name="Lena", admin=True
    )
    lena = client_for(server, labs_admin.token)
    await lena.conversations_join(channel=shared.channel)
    # A shared channel is its home's to manage (docs/organisations.md).
    for refused, expected in (
        (lena.conversations_rename(channel=shared.channel, name="taken-over"), "not_authorized"),
        (lena.conversations_archive(channel=shared.channel), "restricted_action"),
        (lena.conversations_unarchive(channel=shared.channel), "restricted_action"),
        (
            lena.conversations_kick(channel=shared.channel, user=initech.olivia.user.id),
            "restricted_action",
        ),
        (
            lena.admin_conversations_setTeams(channel_id=shared.channel, target_team_ids=""),
            "not_an_admin",
        ),
    ):
        assert await error_of(refused) == expected
    info = (await shared.olivia.conversations_info(channel=shared.channel))["channel"]
    assert (info["name"], info["is_archived"], info["is_shared"]) == ("projects", False, True)
    # What any member may do, a member of either side does, as themselves.
    await lena.conversations_setTopic(channel=shared.channel, topic="from the lab")
    info = (await shared.olivia.conversations_info(channel=shared.channel))["channel"]
    assert info["topic"]["value"] == "from the lab"
    said = (await shared.olivia.conversations_history(channel=shared.channel))["messages"][0]
    assert (said["subtype"], said["user"], said["user_team"]) == (
        "channel_topic",
        labs_admin.user.id,
        initech.labs.id,
    )


async def test_invite_and_kick_act_at_the_home_wherever_the_workspaces_are(
    placed: str, ctx: ServiceContext, server: str, initech: Initech, shared: Shared
) -> None:
    labs, olivia, sam = initech.labs.id, initech.olivia.user.id, initech.sam.user.id
    liam = await users.create_user(ctx, workspace=labs, email="liam@initech.test", name="Liam")
    nora = await users.create_user(ctx, workspace=labs, email="nora@initech.test", name="Nora")
    # Each side brings in its own people; the home removes anyone.
    await shared.sam.conversations_invite(channel=shared.channel, users=liam.user.id)
    await shared.olivia.conversations_kick(channel=shared.channel, user=sam)
    members = (await shared.olivia.conversations_members(channel=shared.channel))["members"]
    assert set(members) == {olivia, liam.user.id}
    seen = (await client_for(server, liam.token).conversations_list())["channels"]
    assert shared.channel in _by_id(seen)

    channel, liam_client = shared.channel, client_for(server, liam.token)
    peter = initech.peter.user.id
    for refused, expected in (
        # Invitees are people of the inviter's workspace.
        (shared.olivia.conversations_invite(channel=channel, users=nora.user.id), "user_not_found"),
        (liam_client.conversations_invite(channel=channel, users=peter), "user_not_found"),
        (liam_client.conversations_invite(channel=channel, users=liam.user.id), "cant_invite_self"),
        (shared.sam.conversations_invite(channel=channel, users=nora.user.id), "not_in_channel"),
        # Only the home's members and admins remove people.
        (liam_client.conversations_kick(channel=channel, user=olivia), "restricted_action"),
        (shared.peter.conversations_kick(channel=channel, user=liam.user.id), "restricted_action"),
        (shared.olivia.conversations_kick(channel=channel, user=peter), "not_in_channel"),
        # sam shares no channel with olivia any more: she no longer sees him (users.info).
        (shared.olivia.conversations_kick(channel=channel, user=sam), "user_not_found"),
        (shared.olivia.users_info(user=sam), "user_not_found"),
    ):
        assert await error_of(refused) == expected
    members = (await shared.olivia.conversations_members(channel=shared.channel))["members"]
    assert set(members) == {olivia, liam.user.id}


@pytest.fixture
async def edge_url(deployment: Backchannel, initech: Initech) -> AsyncIterator[str]:
    """An edge serving every message-server shard (initech's workspaces exist by then)."""
    async with live_edge(deployment) as url:
        yield url


async def test_events_reach_the_other_side_until_it_is_disconnected(
    ctx: ServiceContext, edge_url: str, initech: Initech, shared: Shared
) -> None:
    sam = TokenInfo(initech.sam.user.id, initech.labs.id, "user")
    olivia = TokenInfo(initech.olivia.user.id, initech.hq.id, "user")
    sam_socket: RtmSocket = await open_rtm(ctx, edge_url, sam)
    olivia_socket: RtmSocket = await open_rtm(ctx, edge_url, olivia)
    try:
        await post(shared.olivia, shared.channel, "live from HQ")
        heard = await sam_socket.next("message")
        assert (heard["channel"], heard["text"], heard["team"]) == (
            shared.channel,
            "live from HQ",
            initech.hq.id,
        )
        assert (await olivia_socket.next("message"))["text"] == "live from HQ"  # her own
        await post(shared.sam, shared.channel, "live from the lab")
        heard = await olivia_socket.next("message")
        assert (heard["text"], heard["user_team"]) == ("live from the lab", initech.labs.id)

        await shared.olivia.admin_conversations_disconnectShared(
            channel_id=shared.channel, leaving_team_ids=initech.labs.id
        )
        left = await sam_socket.next("member_left_channel")
        assert (left["channel"], left["user"]) == (shared.channel, initech.sam.user.id)
        await post(shared.olivia, shared.channel, "after the disconnect")
        assert (await olivia_socket.next("message"))["text"] == "after the disconnect"
        # Copies are appended to Labs' log before the post is answered: a message sam posts
        # to his own workspace now comes after any copy in the log sam's socket follows.
        listed = (await shared.sam.conversations_list())["channels"]
        labs_general = next(c["id"] for c in listed if c["is_general"])
        last = await post(shared.sam, labs_general, "in Labs")
        heard = await sam_socket.before(type="message", ts=last)
        assert [e for e in heard if e.get("type") == "message"] == []
    finally:
        await sam_socket.close()
        await olivia_socket.close()


async def test_an_org_wide_channel_reaches_workspaces_made_later(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    announcements = (await olivia.conversations_create(name="announcements"))["channel"]["id"]
    await olivia.admin_conversations_setTeams(channel_id=announcements, org_channel=True)
    sam = client_for(server, initech.sam.token)
    assert announcements in _by_id((await sam.conversations_list())["channels"])
    # A refused change leaves it organisation-wide.
    assert (
        await error_of(
            olivia.admin_conversations_setTeams(
                channel_id=announcements, target_team_ids="T00099ZZZZZ"
            )
        )
        == "team_not_found"
    )
    west = (await olivia.admin_teams_create(team_domain="initech-west", team_name="West"))["team"]
    teams = (await olivia.admin_conversations_getTeams(channel_id=announcements))["team_ids"]
    assert teams == [initech.hq.id, initech.labs.id, west]
    wendy = await users.create_user(ctx, workspace=west, email="wendy@initech.test", name="Wendy")
    listed = _by_id((await client_for(server, wendy.token).conversations_list())["channels"])
    assert listed[announcements]["is_org_shared"] is True


async def test_a_connected_workspace_is_named_by_team_info(
    initech: Initech, shared: Shared, acme: Acme
) -> None:
    labs = (await shared.olivia.team_info(team=initech.labs.id))["team"]
    assert (labs["id"], labs["name"]) == (initech.labs.id, "Initech Labs")
    assert (await shared.sam.team_info(team=initech.hq.id))["team"]["name"] == "Initech HQ"
    assert await error_of(shared.sam.team_info(team=acme.workspace.id)) == "team_not_found"


async def test_one_person_in_a_shared_channel_is_a_member_from_each_seat(
    ctx: ServiceContext, edge_url: str, server: str, initech: Initech, shared: Shared
) -> None:
    await shared.peter.conversations_join(channel=shared.channel)
    await shared.olivia.admin_users_assign(team_id=initech.labs.id, user_id=initech.peter.user.id)
    token = await auth.sign_in(
        ctx, workspace="initech-labs", email="peter@initech.test", password=INITECH_PASSWORD
    )
    boot = await client_for(server, token).rtm_start()
    seen = _by_id(boot["channels"])[shared.channel]
    assert seen["is_member"] is True
    assert initech.peter.user.id in seen["members"] and initech.sam.user.id in seen["members"]


async def test_shares_and_profile_changes_are_heard_across_the_boundary(
    ctx: ServiceContext, edge_url: str, initech: Initech, shared: Shared
) -> None:
    sam = TokenInfo(initech.sam.user.id, initech.labs.id, "user")
    olivia = TokenInfo(initech.olivia.user.id, initech.hq.id, "user")
    sam_socket = await open_rtm(ctx, edge_url, sam)
    olivia_socket = await open_rtm(ctx, edge_url, olivia)
    try:
        news = (await shared.olivia.conversations_create(name="news"))["channel"]["id"]
        await shared.olivia.admin_conversations_setTeams(
            channel_id=news, target_team_ids=initech.labs.id
        )
        told = await sam_socket.next("channel_shared")
        assert (told["channel"], told["connected_team_id"]) == (news, initech.labs.id)

        await shared.sam.users_profile_set(profile={"title": "Lab lead"})
        changed = await olivia_socket.next("user_change")
        assert (changed["user"]["id"], changed["user"]["profile"]["title"]) == (
            sam.user_id,
            "Lab lead",
        )

        await shared.olivia.admin_conversations_disconnectShared(
            channel_id=news, leaving_team_ids=initech.labs.id
        )
        gone = await sam_socket.next("channel_unshared")
        assert (gone["channel"], gone["previously_connected_team_id"]) == (news, initech.labs.id)
    finally:
        await sam_socket.close()
        await olivia_socket.close()


async def test_a_person_with_a_seat_on_each_side_is_heard_once_as_each_side_has_them(
    ctx: ServiceContext, edge_url: str, server: str, initech: Initech, shared: Shared
) -> None:
    """Olivia sits in HQ and in Labs and is in #projects (from HQ), shared between them and
    West: her status change reaches each workspace once, as her seat there has her (its
    team, its roles), and West, where she has none, as the seat she is in the channel from."""
    olivia = initech.olivia.user.id
    await shared.olivia.admin_users_assign(team_id=initech.labs.id, user_id=olivia)
    org = initech.hq.org_id
    west = (await workspaces.create_workspace(ctx, name="West", domain="west", org_id=org)).id
    await shared.olivia.admin_conversations_setTeams(
        channel_id=shared.channel, target_team_ids=f"{initech.labs.id},{west}"
    )
    wendy = await users.create_user(ctx, workspace=west, email="wendy@initech.test", name="Wendy")
    await client_for(server, wendy.token).conversations_join(channel=shared.channel)
    await shared.peter.conversations_join(channel=shared.channel)
    watchers = [
        TokenInfo(initech.peter.user.id, initech.hq.id, "user"),
        TokenInfo(initech.sam.user.id, initech.labs.id, "user"),
        TokenInfo(wendy.user.id, west, "user"),
    ]
    sockets = [await open_rtm(ctx, edge_url, who) for who in watchers]
    try:
        status = {"status_text": "On leave", "status_emoji": ":palm_tree:"}
        await shared.olivia.users_profile_set(profile=status)
        # Later in every log than every change (and copy) of the call before it.
        await post(shared.olivia, shared.channel, "back soon")
        seen_as = [initech.hq.id, initech.labs.id, initech.hq.id]
        for socket, team in zip(sockets, seen_as, strict=True):
            heard: list[dict[str, Any]] = []
            while (event := await socket.next()).get("text") != "back soon":
                if event.get("type") == "user_change" and event["user"]["id"] == olivia:
                    heard.append(event["user"])
            assert [(u["team_id"], u["is_admin"]) for u in heard] == [(team, False)]
            assert heard[0]["profile"]["status_text"] == "On leave"
    finally:
        for socket in sockets:
            await socket.close()


async def test_the_sweep_relays_what_a_writer_left_unrelayed(
    ctx: ServiceContext, initech: Initech, shared: Shared
) -> None:
    """A writer that died after its commit, before relaying: its event is in the home log
    only. The sweep (run here, and by the live server every 2 s) copies it, once."""
    home = (await ctx.router.assignment(initech.hq.id)).db_shard
    labs = (await ctx.router.assignment(initech.labs.id)).db_shard
    since = await event_service.stream_head(ctx, labs)
    orphan = to_channel(
        initech.hq.id, shared.channel, {"type": "message", "text": "orphan", "ts": "1.000001"}
    )
    async with ctx.router.write(ShardFor(shared.channel)) as conn:
        await event_store.append_event_txn(
            conn, home, orphan, ctx.clock(), shared_with=[initech.labs.id]
        )
    await event_service.relay_all(ctx)
    await event_service.relay_all(ctx)  # again: nothing more
    copies = [
        event
        for event in await event_service.read_stream(ctx, since, limit=1000)
        if event.payload.get("text") == "orphan"
    ]
    assert [(e.workspace_id, e.channel_id) for e in copies] == [(initech.labs.id, shared.channel)]


async def test_the_edge_cache_holds_the_other_side_of_a_shared_channel(
    ctx: ServiceContext, edge_url: str, initech: Initech, shared: Shared
) -> None:
    """Sam's lean boot (docs/edge-cache.md) has the channel of HQ; he may look up its people
    but no one else of HQ; their messages bring their authors; the disconnect takes it away."""
    sam = TokenInfo(initech.sam.user.id, initech.labs.id, "user")
    socket = await open_rtm(ctx, edge_url, sam)
    try:
        boot = await socket.ask("client.boot")
        assert shared.channel in {channel["id"] for channel in boot["channels"]}
        olivia, peter = initech.olivia.user.id, initech.peter.user.id
        await post(shared.olivia, shared.channel, "hello from HQ")
        objects = await socket.next("objects")  # olivia was not in the boot: no message yet
        assert [user["id"] for user in objects["users"]] == [olivia]
        assert (await socket.next("message"))["text"] == "hello from HQ"
        found = await socket.ask("users.info", users=[olivia, peter])
        assert ([u["id"] for u in found["users"]], found["missing"]) == ([olivia], [peter])
        assert found["users"][0]["team_id"] == initech.hq.id
        await shared.peter.conversations_join(channel=shared.channel)
        await socket.next("member_joined_channel")
        # The edge reads the channel again for its newcomer: then peter may be looked up.
        await until(socket, "users.info", lambda reply: bool(reply["users"]), users=[peter])

        await shared.olivia.admin_conversations_disconnectShared(
            channel_id=shared.channel, leaving_team_ids=initech.labs.id
        )
        await socket.next("channel_unshared")
        await until(
            socket, "channels.info", lambda reply: not reply["channels"], channels=[shared.channel]
        )
    finally:
        await socket.close()


async def until(
    socket: RtmSocket, kind: str, done: Callable[[dict[str, Any]], bool], **fields: Any
) -> None:
    """Ask the edge again until its reply is `done` (what it learns after an event)."""
    async with asyncio.timeout(10):
        # A question to a server, not a flag of ours to wait on.
        while not done(await socket.ask(kind, **fields)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
