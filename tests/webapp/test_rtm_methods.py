"""rtm.connect and rtm.start through slack_sdk: each workspace is sent to the edge that owns
it with a single-use ticket, and rtm.start's boot payload holds what a client shows first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import event

from backchannel.app import Backchannel
from backchannel.config import ServerSettings
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.identity import auth
from backchannel.services.messaging import messages
from backchannel.services.people import users
from backchannel.services.realtime import boot, edges
from backchannel.services.realtime.tickets import TICKET_SECONDS, redeem_ticket
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.clock import FakeClock
from tests.support.server import live_server
from tests.webapp.conftest import Globex, client_for, error_of, post

EDGES = {"ms-0": "ws://127.0.0.1:8001", "ms-1": "ws://127.0.0.1:8002"}
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE")


async def register_edges(ctx: ServiceContext) -> dict[str, str]:
    """One edge for each message-server shard: each is the owner of that shard's workspaces."""
    for ms_shard, url in EDGES.items():
        await edges.register_edge(ctx, [ms_shard], url, heartbeat_seconds=2.0)
    return EDGES


@pytest.fixture
async def edges_up(ctx: ServiceContext) -> dict[str, str]:
    return await register_edges(ctx)


def ticket_of(url: str) -> str:
    [ticket] = parse_qs(urlsplit(url).query)["ticket"]
    return ticket


def info(acme: Acme, who: str) -> TokenInfo:
    return TokenInfo(getattr(acme, who).user.id, acme.workspace.id, "user")


# -- rtm.connect ---------------------------------------------------------------------------


async def test_rtm_connect_sends_each_workspace_to_the_edge_that_owns_it(
    ctx: ServiceContext,
    edges_up: dict[str, str],
    alice: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
    acme: Acme,
    globex: Globex,
) -> None:
    assert (acme.ms_shard, globex.ms_shard) == ("ms-0", "ms-1")
    reply = (await alice.rtm_connect()).data
    assert reply["self"] == {"id": acme.alice.user.id, "name": acme.alice.user.name}
    assert reply["team"] == {"id": acme.workspace.id, "name": "Acme", "domain": "acme"}
    assert reply["url"].startswith(f"{edges_up['ms-0']}/?ticket=")
    assert (await eve.rtm_connect())["url"].startswith(f"{edges_up['ms-1']}/?ticket=")

    ticket = ticket_of(reply["url"])
    assert (await redeem_ticket(ctx, ticket)).caller == info(acme, "alice")
    assert await redeem_ticket(ctx, ticket) is None  # single use


@dataclass
class Timed:
    url: str
    ctx: ServiceContext
    clock: FakeClock


@pytest.fixture
async def timed(deployment: Backchannel, acme: Acme) -> AsyncIterator[Timed]:
    """The same deployment served on a clock the test moves."""
    clock = FakeClock()
    timed_ctx = ServiceContext(deployment.ctx.router, clock)
    settings = replace(deployment.settings, server=ServerSettings(rate_limits=False))
    async with live_server(Backchannel(settings, timed_ctx)) as url:
        yield Timed(url, timed_ctx, clock)


async def test_an_rtm_connect_ticket_lasts_30_seconds(timed: Timed, acme: Acme) -> None:
    await register_edges(timed.ctx)  # heartbeats on the test's clock
    alice = client_for(timed.url, acme.alice.token)
    in_time = ticket_of((await alice.rtm_connect())["url"])
    too_late = ticket_of((await alice.rtm_connect())["url"])
    timed.clock.now += TICKET_SECONDS - 0.5
    assert (await redeem_ticket(timed.ctx, in_time)).caller == info(acme, "alice")
    timed.clock.now += 1.0
    assert await redeem_ticket(timed.ctx, too_late) is None


async def test_without_an_edge_both_methods_say_so(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme
) -> None:
    await edges.register_edge(ctx, ["ms-1"], EDGES["ms-1"], heartbeat_seconds=2.0)  # not acme's
    assert await error_of(alice.rtm_start()) == "service_unavailable"
    with pytest.raises(SlackApiError) as refused:
        await alice.rtm_connect()
    assert refused.value.response.data == {
        "ok": False,
        "error": "service_unavailable",
        "response_metadata": {
            "messages": [
                f"[ERROR] no live edge serves message-server shard ms-0 (workspace "
                f"{acme.workspace.id}): start an edge for it (`backchannel serve --ms-shard ms-0`)"
            ]
        },
    }


# -- rtm.start -----------------------------------------------------------------------------


@dataclass
class Scene:
    """acme as alice boots into it; bob has posted since she last looked."""

    dev: str
    random: str  # public, alice is not in it
    secret: str  # private, alice and bob
    bobs_secret: str  # private, bob only
    dm: str
    mpim: str
    bot: users.NewBot
    carol: users.NewUser
    mine: str
    one: str
    two: str
    psst: str


@pytest.fixture
async def scene(
    ctx: ServiceContext,
    acme: Acme,
    edges_up: dict[str, str],
    dev: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
) -> Scene:
    workspace = acme.workspace.id
    carol = await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
    bot = await users.create_bot(ctx, workspace="acme", name="Helper")

    async def create(client: ValidatingAsyncWebClient, name: str, private: bool) -> str:
        made = await client.conversations_create(name=name, is_private=private)
        return str(made["channel"]["id"])

    random = await create(bob, "random", False)
    secret = await create(alice, "secret", True)
    await alice.conversations_invite(channel=secret, users=acme.bob.user.id)
    bobs_secret = await create(bob, "bobs-secret", True)
    dm = (await bob.conversations_open(users=acme.alice.user.id))["channel"]["id"]
    group = f"{acme.alice.user.id},{carol.user.id}"
    mpim = (await bob.conversations_open(users=group))["channel"]["id"]
    mine = await post(alice, dev, "mine")
    one = await post(bob, dev, "one")
    await post(bob, dev, "in a thread", thread_ts=one)  # not shown in the channel itself
    two = await post(bob, dev, "two")
    psst = await post(bob, dm, "psst")
    await channels.join_channel(ctx, workspace_id=workspace, user_id=bot.user.id, channel_id=dev)
    return Scene(dev, random, secret, bobs_secret, dm, mpim, bot, carol, mine, one, two, psst)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


async def test_rtm_start_has_self_team_users_bots_and_the_url(
    alice: ValidatingAsyncWebClient, acme: Acme, scene: Scene
) -> None:
    reply = (await alice.rtm_start()).data
    assert reply["url"].startswith(f"{EDGES['ms-0']}/?ticket=")
    me = reply["self"]
    assert (me["id"], me["name"], me["prefs"]) == (acme.alice.user.id, acme.alice.user.name, {})
    assert me["manual_presence"] == "active"
    assert reply["team"]["id"] == acme.workspace.id
    people = by_id(reply["users"])
    expected = {acme.alice.user.id, acme.bob.user.id, scene.carol.user.id, scene.bot.user.id}
    assert set(people) == expected
    assert people[acme.bob.user.id]["presence"] == "active"
    assert people[scene.bot.user.id]["is_bot"] is True
    icon = people[scene.bot.user.id]["profile"]["image_48"]  # its bot user's default avatar
    assert reply["bots"] == [
        {
            "id": scene.bot.bot.id,
            "name": "Helper",
            "deleted": False,
            "updated": int(scene.bot.bot.updated),
            "icons": {"image_36": icon, "image_48": icon, "image_72": icon},
        }
    ]


async def test_rtm_start_lists_channels_with_membership_and_read_state(
    alice: ValidatingAsyncWebClient, acme: Acme, scene: Scene
) -> None:
    reply = (await alice.rtm_start()).data
    public = by_id(reply["channels"])
    assert {c["name"] for c in public.values()} == {"general", "dev", "random"}
    dev = public[scene.dev]
    assert dev["is_member"] is True
    assert dev["members"] == [acme.alice.user.id, acme.bob.user.id, scene.bot.user.id]
    # alice's own post and the thread reply are not unread; bob's two posts are.
    assert (dev["unread_count"], dev["unread_count_display"]) == (2, 2)
    assert dev["latest"]["ts"] == scene.two and dev["latest"]["text"] == "two"
    assert dev["last_read"] < scene.mine
    random = public[scene.random]
    assert random["is_member"] is False
    assert not {"members", "latest", "unread_count", "last_read"} & set(random)

    await alice.conversations_mark(channel=scene.dev, ts=scene.one)
    dev = by_id((await alice.rtm_start())["channels"])[scene.dev]
    assert (dev["last_read"], dev["unread_count"]) == (scene.one, 1)


async def counts(client: ValidatingAsyncWebClient) -> dict[str, dict[str, Any]]:
    """client.counts by conversation id."""
    reply = (await client.api_call("client.counts")).data
    assert isinstance(reply, dict) and reply["ok"] is True
    return {item["id"]: item for kind in ("channels", "mpims", "ims") for item in reply[kind]}


async def test_client_counts_has_unread_and_mention_counts(
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
    scene: Scene,
) -> None:
    before = await counts(alice)
    assert scene.random not in before  # she is not in it
    dev, dm = before[scene.dev], before[scene.dm]
    assert (dev["unread_count"], dev["mention_count"], dev["has_unreads"]) == (2, 0, True)
    assert dev["latest"] == scene.two
    assert (dm["unread_count"], dm["mention_count"]) == (1, 1)  # a DM's messages are for you
    await post(bob, scene.dev, f"<@{acme.alice.user.id}> can you look?")
    await post(bob, scene.dev, f"<@{acme.bob.user.id}> note to self")
    await post(alice, scene.dev, f"<@{acme.alice.user.id}> her own mention is not unread")
    dev = (await counts(alice))[scene.dev]
    assert (dev["unread_count"], dev["mention_count"]) == (4, 1)
    assert (await counts(bob))[scene.dev]["mention_count"] == 0
    await post(bob, scene.mpim, "lunch?")
    mpim = (await counts(alice))[scene.mpim]
    assert (mpim["unread_count"], mpim["mention_count"]) == (1, 1)  # a group DM's too
    await alice.conversations_mark(channel=scene.dev, ts=dev["latest"])
    dev = (await counts(alice))[scene.dev]
    assert (dev["unread_count"], dev["mention_count"], dev["has_unreads"]) == (0, 0, False)


async def test_rtm_start_shows_private_channels_to_their_members_only(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, scene: Scene
) -> None:
    groups = (await alice.rtm_start())["groups"]
    assert [(g["id"], g["name"], g["is_group"]) for g in groups] == [(scene.secret, "secret", True)]
    assert groups[0]["members"] == [acme.alice.user.id, acme.bob.user.id]
    assert (groups[0]["latest"], groups[0]["unread_count"]) == (None, 0)
    bobs = {g["id"] for g in (await bob.rtm_start())["groups"]}
    assert bobs == {scene.secret, scene.bobs_secret}


async def test_rtm_start_has_dms_and_group_dms(
    alice: ValidatingAsyncWebClient, acme: Acme, scene: Scene
) -> None:
    reply = (await alice.rtm_start()).data
    [im] = reply["ims"]
    assert (im["id"], im["user"], im["is_im"], im["is_open"]) == (
        scene.dm,
        acme.bob.user.id,
        True,
        True,
    )
    assert (im["unread_count"], im["latest"]["text"]) == (1, "psst")
    [mpim] = reply["mpims"]
    assert mpim["id"] == scene.mpim and mpim["is_mpim"] is True
    everyone = {acme.alice.user.id, acme.bob.user.id, scene.carol.user.id}
    assert set(mpim["members"]) == everyone
    assert (mpim["latest"], mpim["unread_count"]) == (None, 0)


async def test_another_workspace_sees_none_of_this_one(
    eve: ValidatingAsyncWebClient, acme: Acme, globex: Globex, scene: Scene
) -> None:
    reply = (await eve.rtm_start()).data
    assert reply["team"]["id"] == globex.workspace.id
    assert [user["id"] for user in reply["users"]] == [globex.eve.user.id]
    assert reply["bots"] == [] and reply["ims"] == [] and reply["mpims"] == []
    shown = orjson.dumps(reply)
    acme_ids = [acme.workspace.id, acme.alice.user.id, acme.bob.user.id, scene.dev, scene.dm]
    assert [value for value in acme_ids if value.encode() in shown] == []
    assert b"psst" not in shown and b"Helper" not in shown


# -- the cost of a boot --------------------------------------------------------------------


@pytest.fixture
def statements(ctx: ServiceContext, acme: Acme) -> Iterator[list[str]]:
    """The SQL statements run on acme's shard while the test runs."""
    shard = ctx.router.shard_map.current.db_shards[acme.db_shard]
    engine = ctx.router.pools.engines_for(shard).sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if not statement.startswith(TRANSACTION_CONTROL):  # SQLite's own BEGIN and savepoints
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


async def _in_channels(ctx: ServiceContext, acme: Acme, count: int, start: int) -> None:
    """alice in `count` more channels, each with a message of bob's."""
    workspace = acme.workspace.id
    for n in range(start, start + count):
        channel = await channels.create_channel(
            ctx, workspace_id=workspace, creator=acme.bob.user.id, name=f"room-{n}"
        )
        await channels.join_channel(
            ctx, workspace_id=workspace, user_id=acme.alice.user.id, channel_id=channel.id
        )
        await messages.post_message(
            ctx, workspace_id=workspace, user_id=acme.bob.user.id, channel_id=channel.id, text="hi"
        )


async def _boot_statements(ctx: ServiceContext, acme: Acme, seen: list[str]) -> int:
    alice = await auth.authenticate(ctx, acme.alice.token)
    seen.clear()
    found = await boot.boot(ctx, alice)
    assert found.conversations
    return len(seen)


async def test_a_boot_costs_the_same_queries_for_few_or_many_channels(
    ctx: ServiceContext, acme: Acme, edges_up: dict[str, str], statements: list[str]
) -> None:
    await _in_channels(ctx, acme, 1, start=0)
    few = await _boot_statements(ctx, acme, statements)
    await _in_channels(ctx, acme, 18, start=1)
    many = await _boot_statements(ctx, acme, statements)
    assert many == few
    # The caller, the ticket (3: expired ones, the log head, the ticket), users, bots,
    # channels, memberships with read markers, their members, the latest messages, their
    # reactions, the unread counts, and the channels other workspaces share (none here).
    assert few == 13, statements
