"""GET /metrics on the webapp: API calls by method and outcome, latency, rate-limit refusals,
the router's pools and consolidated reads per shard, and nothing secret (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from backchannel.app import Backchannel
from backchannel.config import ServerSettings
from backchannel.metrics.reading import total
from backchannel.webapp.ratelimit import POST_BURST, RateLimiter
from tests.conftest import Acme
from tests.support.clock import FakeClock
from tests.support.metrics import scrape
from tests.support.server import live_server

CALLS = "backchannel_api_requests_total"
SECONDS = "backchannel_api_request_seconds_count"


@pytest.fixture
async def limited(deployment: Backchannel) -> AsyncIterator[str]:
    """The deployment served with rate limits on, on a clock that stands still."""
    settings = replace(deployment.settings, server=ServerSettings(rate_limits=True))
    async with live_server(Backchannel(settings, deployment.ctx, RateLimiter(FakeClock()))) as url:
        yield url


async def test_calls_are_counted_by_method_and_outcome(limited: str, acme: Acme, dev: str) -> None:
    alice = {"Authorization": f"Bearer {acme.alice.token}"}
    async with httpx.AsyncClient(base_url=limited, headers=alice) as http:
        before = await scrape(http, limited)
        assert (await http.get("/api/auth.test")).json()["ok"]
        missing = await http.get("/api/conversations.info", params={"channel": "C0NOPE"})
        assert missing.json()["error"] == "channel_not_found"
        assert (await http.get("/api/no.such.method")).json()["error"] == "unknown_method"
        posts = [
            await http.post("/api/chat.postMessage", data={"channel": dev, "text": "hi"})
            for _ in range(POST_BURST + 1)
        ]
        assert [p.status_code for p in posts] == [200] * POST_BURST + [429]
        after = await scrape(http, limited)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved(CALLS, method="auth.test", status="ok") == 1
    assert moved(CALLS, method="conversations.info", status="channel_not_found") == 1
    assert moved(CALLS, method="unknown", status="unknown_method") == 1
    assert moved(CALLS, method="chat.postMessage", status="ok") == POST_BURST
    assert moved(CALLS, method="chat.postMessage", status="ratelimited") == 1
    assert moved(CALLS) == POST_BURST + 4
    assert moved("backchannel_ratelimited_total", method="chat.postMessage") == 1
    assert moved(SECONDS, method="chat.postMessage") == POST_BURST + 1
    assert moved(SECONDS) == POST_BURST + 4
    # A made-up method name never becomes a label: anyone could make up millions.
    assert not any("no.such.method" in str(s.labels) for samples in after.values() for s in samples)


async def test_pools_and_consolidation_are_shown_for_every_shard(
    server: str, acme: Acme, deployment: Backchannel
) -> None:
    shards = set(deployment.ctx.router.shard_map.current.db_shards)
    alice = {"Authorization": f"Bearer {acme.alice.token}"}
    async with httpx.AsyncClient(base_url=server, headers=alice) as http:
        before = await scrape(http, server)
        info = await http.get("/api/users.info", params={"user": acme.bob.user.id})
        assert info.json()["ok"]  # a person's row is a shared read (router.read_shared)
        after = await scrape(http, server)
    pools = {s.labels["shard"] for s in after["backchannel_shard_pool_size"] if s.value > 0}
    assert pools == shards | {"main"}
    assert {s.labels["shard"] for s in after["backchannel_shard_pool_in_use"]} == shards | {"main"}
    consolidation = "backchannel_consolidation_reads_total"
    assert {s.labels["shard"] for s in after[consolidation]} == shards
    ran = {"shard": acme.db_shard, "result": "ran"}
    assert total(after, consolidation, **ran) - total(before, consolidation, **ran) == 1


async def test_the_page_holds_no_token(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        await http.get("/api/auth.test", params={"token": acme.alice.token})
        await http.get(f"/api/{acme.bob.token}")  # a token where a method's name goes
        text = (await http.get("/metrics")).text
    assert "backchannel_api_requests_total" in text
    assert acme.alice.token not in text and acme.bob.token not in text
    assert "xox" not in text
