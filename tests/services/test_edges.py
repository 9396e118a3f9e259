"""Edges in the main DB: registered, heartbeating, live; the owner of each workspace by
rendezvous hashing, the same in every process; and the single-use, 30-second tickets in the
URLs handed out (docs/edge-cache.md, Routing)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from backchannel.app import Backchannel
from backchannel.errors import InvalidArgument, NotFound
from backchannel.models import EdgeInfo, WorkspaceAssignment
from backchannel.ops.deployment import open_router
from backchannel.router import Router
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.realtime import edges
from backchannel.services.realtime.edge_view import VIEW_SECONDS
from backchannel.services.realtime.tickets import TICKET_SECONDS, redeem_ticket
from backchannel.services.tenancy import workspaces
from tests.conftest import Acme
from tests.support.clock import FakeClock

EDGE_0, EDGE_1, EDGE_2 = "ws://127.0.0.1:8001", "ws://127.0.0.1:8002", "ws://127.0.0.1:8003"
BEAT = 2.0  # seconds between heartbeats: live for LIVE_HEARTBEATS of them, 10 s
LIVE_FOR = edges.LIVE_HEARTBEATS * BEAT


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed(ctx: ServiceContext, clock: FakeClock) -> ServiceContext:
    """This process, on a clock the test moves."""
    return ServiceContext(ctx.router, clock)


@pytest.fixture
async def other_process(deployment: Backchannel, clock: FakeClock) -> AsyncIterator[ServiceContext]:
    """A second process over the same deployment, with its own shard map and view of the
    edges, on the same clock."""
    router: Router = await open_router(deployment.settings.storage, create=False, now=0.0)
    try:
        yield ServiceContext(router, clock)
    finally:
        await router.close()


@pytest.fixture
async def spaces(ctx: ServiceContext, acme: Acme) -> list[WorkspaceAssignment]:
    """acme and five more workspaces, three on each message-server shard."""
    made = [acme.workspace]
    for n in range(5):
        made.append(await workspaces.create_workspace(ctx, name=f"W{n}", domain=f"w{n}"))
    placed = [await ctx.router.assignment(w.id) for w in made]
    assert sorted(w.ms_shard for w in placed) == ["ms-0"] * 3 + ["ms-1"] * 3
    return placed


async def register(ctx: ServiceContext, url: str, *ms_shards: str) -> EdgeInfo:
    return await edges.register_edge(ctx, ms_shards or None, url, heartbeat_seconds=BEAT)


async def owners(ctx: ServiceContext, spaces: list[WorkspaceAssignment]) -> dict[str, str]:
    return {w.workspace_id: await edges.edge_url(ctx, w.workspace_id) for w in spaces}


def ticket_of(url: str) -> str:
    [ticket] = parse_qs(urlsplit(url).query)["ticket"]
    return ticket


# -- ownership --------------------------------------------------------------------------------


async def test_every_process_picks_the_same_one_owner_for_each_workspace(
    timed: ServiceContext, other_process: ServiceContext, spaces: list[WorkspaceAssignment]
) -> None:
    for url in (EDGE_0, EDGE_1, EDGE_2):
        await register(timed, url)
    mine = await owners(timed, spaces)
    assert await owners(other_process, spaces) == mine
    assert set(mine.values()) <= {EDGE_0, EDGE_1, EDGE_2}
    live = await edges.live_edges(timed)
    assert [edge.url for edge in live] == [EDGE_0, EDGE_1, EDGE_2]
    for w in spaces:
        found = edges.choose_owner(w.workspace_id, w.ms_shard, reversed(live))  # in any order
        assert found is not None and found.url == mine[w.workspace_id]
    assert other_process.edges.reads == 1  # six workspaces routed, one small query


async def test_the_view_of_the_edges_is_read_at_most_once_a_second(
    timed: ServiceContext, other_process: ServiceContext, clock: FakeClock, acme: Acme
) -> None:
    version = (await timed.router.shard_map.refresh()).version
    await register(timed, EDGE_0)
    for _ in range(20):
        assert await edges.edge_url(other_process, acme.workspace.id) == EDGE_0
    clock.now += VIEW_SECONDS / 2
    await edges.heartbeat(timed, (await edges.live_edges(timed))[0])
    await edges.edge_url(other_process, acme.workspace.id)
    assert other_process.edges.reads == 1
    clock.now += VIEW_SECONDS / 2
    await edges.edge_url(other_process, acme.workspace.id)
    assert other_process.edges.reads == 2
    # Registering and heartbeats are not changes of the shard map.
    assert (await other_process.router.shard_map.refresh()).version == version


async def test_an_edge_that_leaves_moves_only_its_workspaces(
    timed: ServiceContext,
    other_process: ServiceContext,
    clock: FakeClock,
    spaces: list[WorkspaceAssignment],
    acme: Acme,
) -> None:
    registered = {url: await register(timed, url) for url in (EDGE_0, EDGE_1, EDGE_2)}
    before = await owners(other_process, spaces)
    leaving = before[acme.workspace.id]  # so that at least one workspace moves
    await edges.unregister_edge(timed, registered[leaving])
    assert await owners(other_process, spaces) == before  # its view is less than a second old
    clock.now += VIEW_SECONDS
    after = await owners(other_process, spaces)
    assert after == await owners(timed, spaces)
    for w in spaces:
        if before[w.workspace_id] == leaving:
            assert after[w.workspace_id] != leaving
        else:
            assert after[w.workspace_id] == before[w.workspace_id]


async def test_an_edge_that_joins_takes_workspaces_from_no_one_else(
    timed: ServiceContext, spaces: list[WorkspaceAssignment], acme: Acme
) -> None:
    # The one that joins is the one of the three that wins acme: it takes one at least.
    three = everyone(EDGE_0, EDGE_1, EDGE_2)
    winner = edges.choose_owner(acme.workspace.id, acme.ms_shard, three)
    assert winner is not None
    joining = winner.url
    for url in (EDGE_0, EDGE_1, EDGE_2):
        if url != joining:
            await register(timed, url)
    before = await owners(timed, spaces)
    await register(timed, joining)  # seen at once by the process that registered it
    after = await owners(timed, spaces)
    assert before[acme.workspace.id] != joining == after[acme.workspace.id]
    assert all(after[w] in (before[w], joining) for w in after), (before, after)


async def test_a_stale_heartbeat_makes_an_edge_not_live(
    timed: ServiceContext, clock: FakeClock, spaces: list[WorkspaceAssignment]
) -> None:
    first = await register(timed, EDGE_0)
    second = await register(timed, EDGE_1)
    clock.now += LIVE_FOR - 1
    await edges.heartbeat(timed, first)
    assert await edges.live_edges(timed) == (
        EdgeInfo(EDGE_0, None, first.started, clock.now, BEAT),
        second,
    )
    clock.now += 1.5  # the second's heartbeat is now LIVE_FOR + 0.5 old
    assert [edge.url for edge in await edges.live_edges(timed)] == [EDGE_0]
    assert set((await owners(timed, spaces)).values()) == {EDGE_0}
    await edges.heartbeat(timed, second)  # it was only slow: live again
    clock.now += VIEW_SECONDS
    assert [edge.url for edge in await edges.live_edges(timed)] == [EDGE_0, EDGE_1]


async def test_each_edge_owns_only_workspaces_of_the_message_server_shards_it_serves(
    timed: ServiceContext, spaces: list[WorkspaceAssignment]
) -> None:
    await register(timed, EDGE_0, "ms-0")
    await register(timed, EDGE_1, "ms-1")
    alone = {w.workspace_id: EDGE_0 if w.ms_shard == "ms-0" else EDGE_1 for w in spaces}
    assert await owners(timed, spaces) == alone
    everywhere = await register(timed, EDGE_2)
    found = await owners(timed, spaces)
    for w in spaces:
        assert found[w.workspace_id] in (
            {EDGE_0, EDGE_2} if w.ms_shard == "ms-0" else {EDGE_1, EDGE_2}
        )
    await edges.unregister_edge(timed, everywhere)
    assert await owners(timed, spaces) == alone


async def test_without_a_live_edge_the_error_says_which_shard_needs_one(
    timed: ServiceContext, other_process: ServiceContext, clock: FakeClock, acme: Acme
) -> None:
    with pytest.raises(edges.NoEdge) as missing:
        await edges.edge_url(other_process, acme.workspace.id)
    assert missing.value.slack_error == "service_unavailable"
    assert str(missing.value) == (
        f"no live edge serves message-server shard ms-0 (workspace {acme.workspace.id}): "
        "start an edge for it (`backchannel serve --ms-shard ms-0`)"
    )
    await register(timed, EDGE_1, "ms-1")
    with pytest.raises(edges.NoEdge):
        await edges.edge_url(other_process, acme.workspace.id)
    # An edge registered a moment ago: the other process's view is fresh, but it reads
    # again before saying there is none.
    await register(timed, EDGE_0, "ms-0")
    assert await edges.edge_url(other_process, acme.workspace.id) == EDGE_0
    clock.now += LIVE_FOR  # killed: no heartbeat, no goodbye
    with pytest.raises(edges.NoEdge):
        await edges.edge_url(other_process, acme.workspace.id)


async def test_an_edge_restarted_at_its_url_is_the_same_edge(
    timed: ServiceContext, clock: FakeClock
) -> None:
    killed = await register(timed, EDGE_0)
    clock.now += 1
    restarted = await register(timed, EDGE_0, "ms-1")
    assert await edges.live_edges(timed) == (restarted,)
    await edges.unregister_edge(timed, killed)  # a late goodbye of the old process
    assert await edges.live_edges(timed) == (restarted,)
    await edges.unregister_edge(timed, restarted)
    assert await edges.live_edges(timed) == ()


async def test_bad_registrations_are_refused(timed: ServiceContext) -> None:
    with pytest.raises(NotFound, match="no message-server shard named ms-9; this deployment has"):
        await register(timed, EDGE_0, "ms-0", "ms-9")
    for url in ("http://127.0.0.1:8001", "ws://", "ws://host:1/?a=b", "127.0.0.1:8001"):
        with pytest.raises(InvalidArgument, match="edge URL"):
            await register(timed, url, "ms-0")
    with pytest.raises(InvalidArgument, match="at least one message-server shard"):
        await register(timed, EDGE_0, " ")
    assert await edges.live_edges(timed) == ()


# -- rendezvous hashing, on its own -----------------------------------------------------------

IDS = [f"T{n:010d}" for n in range(300)]


def everyone(*urls: str) -> list[EdgeInfo]:
    return [EdgeInfo(url, None, 0.0, 0.0, BEAT) for url in urls]


def owned(edge_list: list[EdgeInfo]) -> dict[str, str]:
    found = {w: edges.choose_owner(w, "ms-0", edge_list) for w in IDS}
    return {w: edge.url for w, edge in found.items() if edge is not None}


def test_rendezvous_hashing_moves_only_what_it_must() -> None:
    three = owned(everyone(EDGE_0, EDGE_1, EDGE_2))
    assert set(three.values()) == {EDGE_0, EDGE_1, EDGE_2}
    shuffled = everyone(EDGE_0, EDGE_1, EDGE_2)
    random.Random(7).shuffle(shuffled)
    assert owned(shuffled) == three
    two = owned(everyone(EDGE_0, EDGE_2))
    assert all(two[w] == three[w] for w in IDS if three[w] != EDGE_1)
    four = owned(everyone(EDGE_0, EDGE_1, EDGE_2, "ws://127.0.0.1:8004"))
    moved = {w for w in IDS if four[w] != three[w]}
    assert moved and {four[w] for w in moved} == {"ws://127.0.0.1:8004"}
    assert edges.choose_owner(IDS[0], "ms-0", []) is None


def test_the_owner_is_the_same_in_every_process() -> None:
    """A stable hash (Python's hash() of a str changes from one process to the next)."""
    found = owned(everyone("ws://127.0.0.1:8000", "ws://127.0.0.1:8001", "ws://127.0.0.1:8002"))
    assert [found[w] for w in IDS[:4]] == [
        "ws://127.0.0.1:8002",
        "ws://127.0.0.1:8002",
        "ws://127.0.0.1:8001",
        "ws://127.0.0.1:8000",
    ]


# -- the URL handed out -----------------------------------------------------------------------


async def test_a_ticket_is_good_once_and_for_30_seconds(
    timed: ServiceContext, clock: FakeClock, acme: Acme
) -> None:
    alice = await auth.authenticate(timed, acme.alice.token)
    edge = await register(timed, EDGE_0, "ms-0")

    url = await edges.socket_url(timed, alice)
    assert url.startswith(f"{EDGE_0}/?ticket=")  # with a path: slack_sdk sends it as is
    clock.now += TICKET_SECONDS - 1
    assert (await redeem_ticket(timed, ticket_of(url))).caller == alice
    assert await redeem_ticket(timed, ticket_of(url)) is None  # single use

    await edges.heartbeat(timed, edge)  # still live
    late = await edges.socket_url(timed, alice)
    clock.now += TICKET_SECONDS + 0.001
    assert await redeem_ticket(timed, ticket_of(late)) is None
    assert ticket_of(late) != ticket_of(url)


async def test_an_edge_url_keeps_its_own_path(ctx: ServiceContext, acme: Acme) -> None:
    await register(ctx, "wss://chat.example.com/rtm", "ms-0")
    alice = await auth.authenticate(ctx, acme.alice.token)
    assert (await edges.socket_url(ctx, alice)).startswith("wss://chat.example.com/rtm?ticket=")
