"""Edges in the topology: each message-server shard's websocket URL, seen by every process,
and the single-use, 30-second tickets in the URLs handed out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from backchannel.app import Backchannel
from backchannel.errors import InvalidArgument, NotFound
from backchannel.models import TokenInfo
from backchannel.router import Router
from backchannel.services import ServiceContext, edges, workspaces
from backchannel.services.deployment import open_router
from backchannel.services.tickets import TICKET_SECONDS, redeem_ticket
from tests.conftest import Acme
from tests.support.clock import FakeClock

EDGE_0, EDGE_1 = "ws://127.0.0.1:8001", "ws://127.0.0.1:8002"


@pytest.fixture
async def other_process(deployment: Backchannel) -> AsyncIterator[ServiceContext]:
    """A second router over the same deployment, with a shard-map cache of its own."""
    router: Router = await open_router(deployment.settings.storage, create=False, now=0.0)
    try:
        yield ServiceContext(router)
    finally:
        await router.close()


def ticket_of(url: str) -> str:
    [ticket] = parse_qs(urlsplit(url).query)["ticket"]
    return ticket


async def test_each_workspace_gets_the_edge_of_its_message_server_shard(
    ctx: ServiceContext, acme: Acme
) -> None:
    globex = await workspaces.create_workspace(ctx, name="Globex", domain="globex")
    assert (acme.workspace.ms_shard, globex.ms_shard) == ("ms-0", "ms-1")
    assert await edges.register_edge(ctx, ["ms-0"], EDGE_0) == ["ms-0"]
    assert await edges.register_edge(ctx, ["ms-1"], EDGE_1) == ["ms-1"]
    assert await edges.edge_url(ctx, acme.workspace.id) == EDGE_0
    assert await edges.edge_url(ctx, globex.id) == EDGE_1
    assert ctx.router.shard_map.current.ms_urls == {"ms-0": EDGE_0, "ms-1": EDGE_1}
    assert ctx.router.shard_map.current.ms_shards == ("ms-0", "ms-1")


async def test_a_registration_reaches_every_process_through_the_shard_map_version(
    ctx: ServiceContext, other_process: ServiceContext, acme: Acme
) -> None:
    before = other_process.router.shard_map.current.version
    await edges.register_edge(ctx, None, EDGE_0)  # None: every shard
    # The other process has not reloaded its map; the version tells it to.
    assert other_process.router.shard_map.current.ms_urls.get("ms-0") is None
    assert await edges.edge_url(other_process, acme.workspace.id) == EDGE_0
    assert other_process.router.shard_map.current.version > before
    assert other_process.router.shard_map.current.ms_urls == {"ms-0": EDGE_0, "ms-1": EDGE_0}


async def test_without_an_edge_the_error_says_which_shard_needs_one(
    ctx: ServiceContext, acme: Acme
) -> None:
    await edges.register_edge(ctx, ["ms-1"], EDGE_1)
    with pytest.raises(edges.NoEdge) as missing:
        await edges.edge_url(ctx, acme.workspace.id)
    assert missing.value.slack_error == "service_unavailable"
    assert str(missing.value) == (
        f"no edge serves message-server shard ms-0 (workspace {acme.workspace.id}): "
        "start an edge for it (`backchannel serve --ms-shard ms-0`)"
    )


async def test_bad_registrations_are_refused(ctx: ServiceContext) -> None:
    with pytest.raises(NotFound, match="no message-server shard named ms-9; this deployment has"):
        await edges.register_edge(ctx, ["ms-0", "ms-9"], EDGE_0)
    for url in ("http://127.0.0.1:8001", "ws://", "ws://host:1/?a=b", "127.0.0.1:8001"):
        with pytest.raises(InvalidArgument, match="edge URL"):
            await edges.register_edge(ctx, ["ms-0"], url)
    with pytest.raises(InvalidArgument, match="at least one message-server shard"):
        await edges.register_edge(ctx, [" "], EDGE_0)
    assert ctx.router.shard_map.current.ms_urls == {"ms-0": None, "ms-1": None}


async def test_an_edge_going_away_leaves_a_newer_edge_in_place(ctx: ServiceContext) -> None:
    await edges.register_edge(ctx, ["ms-0", "ms-1"], EDGE_0)
    await edges.register_edge(ctx, ["ms-1"], EDGE_1)  # ms-1 moved to another edge
    await edges.unregister_edge(ctx, ["ms-0", "ms-1"], EDGE_0)
    assert ctx.router.shard_map.current.ms_urls == {"ms-0": None, "ms-1": EDGE_1}


async def test_a_ticket_is_good_once_and_for_30_seconds(ctx: ServiceContext, acme: Acme) -> None:
    clock = FakeClock()
    timed = ServiceContext(ctx.router, clock)
    alice = TokenInfo(acme.alice.user.id, acme.workspace.id, "user")
    await edges.register_edge(timed, ["ms-0"], EDGE_0)

    url = await edges.socket_url(timed, alice)
    assert url.startswith(f"{EDGE_0}/?ticket=")  # with a path: slack_sdk sends it as is
    clock.now += TICKET_SECONDS - 1
    assert (await redeem_ticket(timed, ticket_of(url))).caller == alice
    assert await redeem_ticket(timed, ticket_of(url)) is None  # single use

    late = await edges.socket_url(timed, alice)
    clock.now += TICKET_SECONDS + 0.001
    assert await redeem_ticket(timed, ticket_of(late)) is None
    assert ticket_of(late) != ticket_of(url)


async def test_an_edge_url_keeps_its_own_path(ctx: ServiceContext, acme: Acme) -> None:
    await edges.register_edge(ctx, ["ms-0"], "wss://chat.example.com/rtm")
    alice = TokenInfo(acme.alice.user.id, acme.workspace.id, "user")
    assert (await edges.socket_url(ctx, alice)).startswith("wss://chat.example.com/rtm?ticket=")
