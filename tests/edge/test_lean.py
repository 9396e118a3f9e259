"""The edge cache (docs/edge-cache.md): the lean boot, the queries, objects just in time, and
the cache kept fresh by the events, over real sockets on the parametrised storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from backchannel.app import Backchannel
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels, direct_messages
from backchannel.services.conversations import settings as channel_settings
from backchannel.services.messaging import messages
from backchannel.services.people import profiles, users
from tests.conftest import Acme
from tests.edge.conftest import Connect, info


@dataclass
class Team:
    """acme with carol and dave too; #dev (alice, bob), #quiet (dave only), alice's DM with
    carol, and a message of bob in #dev that alice has not read."""

    acme: Acme
    carol: users.NewUser
    dave: users.NewUser
    dev: str
    quiet: str
    dm: str

    def who(self, name: str) -> TokenInfo:
        person = getattr(self, name, None) or getattr(self.acme, name)
        return TokenInfo(person.user.id, self.acme.workspace.id, "user")


@pytest.fixture
async def team(ctx: ServiceContext, acme: Acme, dev: str) -> Team:
    workspace = acme.workspace.id
    carol = await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
    dave = await users.create_user(ctx, workspace="acme", email="dave@acme.test", name="Dave Day")
    quiet = await channels.create_channel(
        ctx, workspace_id=workspace, creator=dave.user.id, name="quiet"
    )
    dm = await direct_messages.open_conversation(
        ctx, workspace_id=workspace, user_id=acme.alice.user.id, with_users=[carol.user.id]
    )
    await messages.post_message(
        ctx, workspace_id=workspace, user_id=acme.bob.user.id, channel_id=dev, text="morning"
    )
    return Team(acme, carol, dave, dev, quiet.id, dm.channel.id)


async def daves_private(ctx: ServiceContext, team: Team, name: str) -> str:
    channel = await channels.create_channel(
        ctx,
        workspace_id=team.acme.workspace.id,
        creator=team.dave.user.id,
        name=name,
        is_private=True,
    )
    return channel.id


async def test_the_lean_boot_holds_the_callers_conversations_and_whom_they_name(
    connect: Connect, team: Team
) -> None:
    alice = await connect(team.who("alice"))
    boot = await alice.ask("client.boot")
    assert boot["ok"] is True and boot["lean"] is True
    assert boot["self"]["id"] == team.acme.alice.user.id
    assert boot["team"]["id"] == team.acme.workspace.id
    names = {channel["name"] for channel in boot["channels"]}
    assert names == {"general", "dev"}  # not #quiet, which alice is not in
    dev = next(channel for channel in boot["channels"] if channel["name"] == "dev")
    assert dev["is_member"] is True and dev["num_members"] == 2 and "members" not in dev
    assert dev["unread_count"] == 1 and dev["latest"]["text"] == "morning"
    assert [im["user"] for im in boot["ims"]] == [team.carol.user.id]
    # The caller, the DM's other person, and the authors of the latest messages: not dave.
    shown = {user["id"] for user in boot["users"]}
    assert {team.acme.alice.user.id, team.carol.user.id, team.acme.bob.user.id} <= shown
    assert team.dave.user.id not in shown
    assert all("presence" in user for user in boot["users"])
    alice_json = next(u for u in boot["users"] if u["id"] == team.acme.alice.user.id)
    assert alice_json["presence"] == "active"  # her socket is open


async def test_the_lean_boot_is_smaller_than_rtm_start_as_the_workspace_grows(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    for number in range(30):
        await users.create_user(
            ctx, workspace="acme", email=f"p{number}@acme.test", name=f"Person {number}"
        )
    alice = await connect(team.who("alice"))
    boot = await alice.ask("client.boot")
    assert len(boot["users"]) <= 4  # still only the ones her conversations name


async def test_users_are_found_by_prefix_and_by_id(connect: Connect, team: Team) -> None:
    alice = await connect(team.who("alice"))
    found = await alice.ask("users.search", query="da")
    assert [user["id"] for user in found["users"]] == [team.dave.user.id]
    by_surname = await alice.ask("users.search", query="DAY")
    assert [user["id"] for user in by_surname["users"]] == [team.dave.user.id]
    limited = await alice.ask("users.search", query="", limit=2)
    assert len(limited["users"]) == 2
    info_reply = await alice.ask("users.info", users=[team.dave.user.id, "U0NOBODY00"])
    assert [user["name"] for user in info_reply["users"]] == [team.dave.user.name]
    assert info_reply["missing"] == ["U0NOBODY00"]


async def test_channels_are_found_as_the_caller_may_see_them(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    secret = await daves_private(ctx, team, "quiet-plans")
    alice = await connect(team.who("alice"))
    found = await alice.ask("channels.search", query="qui")
    assert [(c["name"], c["is_member"]) for c in found["channels"]] == [("quiet", False)]
    info_reply = await alice.ask("channels.info", channels=[team.quiet, secret, team.dm])
    assert [c["id"] for c in info_reply["channels"]] == [team.quiet, team.dm]
    assert info_reply["missing"] == [secret]
    dave = await connect(team.who("dave"))
    mine = await dave.ask("channels.search", query="qui")
    assert [c["name"] for c in mine["channels"]] == ["quiet", "quiet-plans"]


async def test_members_come_a_page_at_a_time(connect: Connect, team: Team) -> None:
    alice = await connect(team.who("alice"))
    general = next(c["id"] for c in (await alice.ask("client.boot"))["channels"] if c["is_general"])
    seen: list[str] = []
    cursor = ""
    while True:
        page = await alice.ask("conversations.members", channel=general, limit=3, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    everyone = {team.acme.alice.user.id, team.acme.bob.user.id, team.carol.user.id}
    assert set(seen) == everyone | {team.dave.user.id} and len(seen) == 4
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"type": "users.info", "users": "U1"}, "invalid_arguments"),
        ({"type": "users.info", "users": [f"U{n}" for n in range(101)]}, "too_many_ids"),
        ({"type": "users.search", "query": 5}, "invalid_arguments"),
        ({"type": "users.search", "query": "a", "limit": 0}, "invalid_arguments"),
        ({"type": "conversations.members", "channel": "C0NOPE0000"}, "channel_not_found"),
    ],
)
async def test_a_bad_query_gets_a_slack_error(
    connect: Connect, acme: Acme, frame: dict[str, Any], error: str
) -> None:
    alice = await connect(info(acme, "alice"))
    fields = dict(frame)  # the parameters are shared by every backend's run
    reply = await alice.ask(fields.pop("type"), **fields)
    assert reply["ok"] is False and reply["error"]["msg"] == error


async def test_a_private_channel_is_no_ones_business_but_its_members(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    secret = await daves_private(ctx, team, "hush")
    alice = await connect(team.who("alice"))
    reply = await alice.ask("conversations.members", channel=secret)
    assert reply["ok"] is False and reply["error"]["msg"] == "channel_not_found"
    reply = await alice.ask("channels.search", query="hu")
    assert reply["channels"] == []


async def test_an_unsent_author_and_mention_arrive_just_before_the_message(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    alice = await connect(team.who("alice"))
    plain = await connect(team.who("bob"))  # never asks for the lean boot
    await alice.ask("client.boot")
    general = next(c for c in (await alice.ask("channels.search", query="gen"))["channels"])
    text = f"hello <@{team.carol.user.id}> and <@{team.dave.user.id}>"
    await messages.post_message(
        ctx,
        workspace_id=team.acme.workspace.id,
        user_id=team.dave.user.id,
        channel_id=general["id"],
        text=text,
    )
    objects = await alice.next()
    assert objects["type"] == "objects"
    # dave (author and mentioned) was never sent; carol came with the boot (her DM).
    assert [user["id"] for user in objects["users"]] == [team.dave.user.id]
    message = await alice.next()
    assert message["type"] == "message" and message["text"] == text
    await messages.post_message(
        ctx,
        workspace_id=team.acme.workspace.id,
        user_id=team.dave.user.id,
        channel_id=general["id"],
        text="again",
    )
    again = await alice.next()
    assert again["type"] == "message" and again["text"] == "again"  # dave is known now
    await plain.next("message")
    assert all(event["type"] != "objects" for event in plain.received)


async def test_a_channel_one_is_added_to_arrives_before_its_events(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    alice = await connect(team.who("alice"))
    await alice.ask("client.boot")
    await channels.invite_to_channel(
        ctx,
        workspace_id=team.acme.workspace.id,
        inviter=team.dave.user.id,
        channel_id=team.quiet,
        user_ids=[team.acme.alice.user.id],
    )
    objects = await alice.next()
    assert objects["type"] == "objects"
    assert [channel["id"] for channel in objects["channels"]] == [team.quiet]
    assert objects["channels"][0]["is_member"] is True
    joined = await alice.next()
    assert joined["type"] == "member_joined_channel" and joined["channel"] == team.quiet


async def test_the_cache_follows_the_events(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    alice = await connect(team.who("alice"))
    await alice.ask("client.boot")  # the workspace is cached from here on
    workspace = team.acme.workspace.id
    await profiles.set_profile(ctx, team.who("dave"), {"display_name": "captain"}, user_id=None)
    await channel_settings.rename_channel(
        ctx, workspace_id=workspace, user_id=team.dave.user.id, channel_id=team.quiet, name="calm"
    )
    await channel_settings.set_topic(
        ctx, workspace_id=workspace, user_id=team.dave.user.id, channel_id=team.quiet, topic="tea"
    )
    erin = await users.create_user(ctx, workspace="acme", email="erin@acme.test", name="Erin")
    await channels.create_channel(
        ctx, workspace_id=workspace, creator=erin.user.id, name="erins-corner"
    )
    await alice.next("channel_created")
    found = await alice.ask("users.search", query="capt")
    assert [user["id"] for user in found["users"]] == [team.dave.user.id]
    assert (await alice.ask("users.search", query="erin"))["users"][0]["id"] == erin.user.id
    calm = (await alice.ask("channels.info", channels=[team.quiet]))["channels"][0]
    assert (calm["name"], calm["topic"]["value"]) == ("calm", "tea")
    corner = await alice.ask("channels.search", query="erin")
    assert [c["name"] for c in corner["channels"]] == ["erins-corner"]


async def test_a_full_cache_lets_go_of_the_least_recently_used_workspace(
    deployment: Backchannel, acme: Acme, globex: Any
) -> None:
    edge = deployment.edge()
    edge.cache.max_bytes = 1  # every workspace is over the bound
    try:
        await edge.cache.get(acme.workspace.id)
        await edge.cache.get(globex.workspace.id)
        assert acme.workspace.id not in edge.cache and globex.workspace.id in edge.cache
        found = await edge.cache.get(acme.workspace.id)  # read again when needed
        assert found.users and acme.workspace.id in edge.cache
    finally:
        await edge.stop()


async def test_a_search_of_several_words_needs_each_of_them(connect: Connect, team: Team) -> None:
    alice = await connect(team.who("alice"))
    found = await alice.ask("users.search", query="dave da")
    assert [user["id"] for user in found["users"]] == [team.dave.user.id]
    assert (await alice.ask("users.search", query="dave smith"))["users"] == []


async def test_a_new_dm_pushes_its_other_person(
    ctx: ServiceContext, connect: Connect, team: Team
) -> None:
    dave = await connect(team.who("dave"))
    await dave.ask("client.boot")
    await direct_messages.open_conversation(
        ctx,
        workspace_id=team.acme.workspace.id,
        user_id=team.carol.user.id,
        with_users=[team.dave.user.id],
    )
    objects = await dave.next()
    assert objects["type"] == "objects"
    assert [user["id"] for user in objects["users"]] == [team.carol.user.id]
    assert (await dave.next())["type"] == "im_created"
