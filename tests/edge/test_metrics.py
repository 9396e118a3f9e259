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
