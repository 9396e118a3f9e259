"""GET /metrics on the edge's own port: open sockets, events delivered, the bus's lag; and in
one process, the same numbers on the webapp's port (docs/metrics.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from backchannel.app import Backchannel
from backchannel.metrics.reading import total
from backchannel.services import ServiceContext
from tests.conftest import Acme
from tests.edge.conftest import Connect, info
from tests.edge.test_fanout import say
from tests.support.metrics import scrape
from tests.support.rtm import WAIT
from tests.support.server import live_server

SOCKETS = "backchannel_edge_sockets"
DELIVERED = "backchannel_events_delivered_total"
LAG = "backchannel_bus_lag_seconds_count"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def sockets_become(http: httpx.AsyncClient, edge_url: str, count: int) -> None:
    """Until the edge counts `count` sockets: a socket closed by its client leaves the
    edge's rooms a moment later."""
    async with asyncio.timeout(WAIT):
        while True:
            if total(await scrape(http, edge_url), SOCKETS, edge=edge_url) == count:
                return
            await asyncio.sleep(0.02)


async def test_sockets_deliveries_and_lag_are_counted(
    ctx: ServiceContext,
    connect: Connect,
    edge_url: str,
    http: httpx.AsyncClient,
    acme: Acme,
    dev: str,
) -> None:
    assert total(await scrape(http, edge_url), SOCKETS, edge=edge_url) == 0
    sockets = [await connect(info(acme, name)) for name in ("alice", "alice", "bob")]
    before = await scrape(http, edge_url)
    assert total(before, SOCKETS, edge=edge_url) == len(sockets)

    await say(ctx, acme, dev, "counted")
    for rtm in sockets:
        assert (await rtm.next("message"))["text"] == "counted"
    after = await scrape(http, edge_url)
    assert total(after, DELIVERED) - total(before, DELIVERED) == len(sockets)
    assert total(after, LAG) > total(before, LAG)

    for rtm in sockets[:2]:
        await rtm.close()
    await sockets_become(http, edge_url, 1)


async def test_both_ports_of_one_process_show_the_same_metrics(
    deployment: Backchannel, connect: Connect, edge_url: str, http: httpx.AsyncClient, acme: Acme
) -> None:
    await connect(info(acme, "bob"))
    async with live_server(deployment) as webapp_url:
        from_webapp = await scrape(http, webapp_url)
    assert total(from_webapp, SOCKETS, edge=edge_url) == 1
    assert total(await scrape(http, edge_url), SOCKETS, edge=edge_url) == 1


FRAMES = "backchannel_socket_frames_total"


async def test_frames_clients_send_are_counted_by_type_and_outcome(
    connect: Connect, edge_url: str, http: httpx.AsyncClient, acme: Acme, dev: str
) -> None:
    rtm = await connect(info(acme, "alice"))
    before = await scrape(http, edge_url)
    await rtm.send({"id": 1, "type": "ping"})
    await rtm.next("pong")
    await rtm.send({"id": 2, "type": "typing", "channel": "C0NOSUCH"})  # refused
    await rtm.send({"id": 3, "type": "made-up-by-a-client"})
    await rtm.next("error")
    await rtm.connection.send("not json")
    await rtm.next("error")
    await rtm.send({"id": 4, "type": "ping"})  # frames are answered in order: all are in
    await rtm.next("pong")
    after = await scrape(http, edge_url)

    def counted(**labels: str) -> float:
        return total(after, FRAMES, **labels) - total(before, FRAMES, **labels)

    assert counted(type="ping", status="ok") == 2
    assert counted(type="typing") == 1 and counted(type="typing", status="ok") == 0
    assert counted(type="unknown", status="unsupported") == 1
    assert counted(type="invalid", status="bad_message") == 1
    assert "made-up-by-a-client" not in str(after)  # a client's name is no label
    seconds = "backchannel_socket_frame_seconds_count"
    assert total(after, seconds, type="ping") - total(before, seconds, type="ping") == 2
