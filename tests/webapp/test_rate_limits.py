"""Slack's tiered rate limits: 429 with Retry-After, per caller and method, refilled by time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from backchannel.app import Backchannel
from backchannel.config import ServerSettings
from backchannel.services.conversations import channels
from backchannel.webapp.ratelimit import RateLimiter
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.clock import FakeClock
from tests.support.server import live_server


@pytest.fixture
async def limited(deployment: Backchannel) -> AsyncIterator[tuple[str, FakeClock]]:
    """The same deployment served with rate limits on and a clock the test moves."""
    clock = FakeClock()
    settings = replace(deployment.settings, server=ServerSettings(rate_limits=True))
    limited_app = Backchannel(settings, deployment.ctx, RateLimiter(clock))
    async with live_server(limited_app) as url:
        yield url, clock


async def test_a_tier_4_method_allows_100_a_minute_then_says_when_to_retry(
    limited: tuple[str, FakeClock], acme: Acme
) -> None:
    url, clock = limited
    async with httpx.AsyncClient() as http:
        alice = {"Authorization": f"Bearer {acme.alice.token}"}
        for _ in range(100):
            assert (await http.get(f"{url}/api/auth.test", headers=alice)).status_code == 200
        refused = await http.get(f"{url}/api/auth.test", headers=alice)
        assert refused.status_code == 429
        assert refused.json() == {"ok": False, "error": "ratelimited"}
        assert refused.headers["Retry-After"] == "1"  # 100 a minute: one more every 0.6 s
        # Another person, and another method, have buckets of their own.
        bob = {"Authorization": f"Bearer {acme.bob.token}"}
        assert (await http.get(f"{url}/api/auth.test", headers=bob)).status_code == 200
        assert (await http.get(f"{url}/api/api.test", headers=alice)).status_code == 200
        clock.now += 1.0  # refills 1.67 calls: one goes through, the next waits
        assert (await http.get(f"{url}/api/auth.test", headers=alice)).status_code == 200
        assert (await http.get(f"{url}/api/auth.test", headers=alice)).status_code == 429


def test_tiers_follow_slack() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert [limiter.check("users.list", "T:U") for _ in range(20)] == [None] * 20
    assert limiter.check("users.list", "T:U") == pytest.approx(3.0)
    assert limiter.check("conversations.history", "T:U") is None  # its own bucket
    # chat.postMessage: bursts of 5 per channel, then about one a second.
    assert [limiter.check("chat.postMessage", "T:U", "C1") for _ in range(5)] == [None] * 5
    assert limiter.check("chat.postMessage", "T:U", "C1") == pytest.approx(1.0)
    assert limiter.check("chat.postMessage", "T:U", "C2") is None
    assert limiter.rejections == 2


async def test_slack_sdk_sees_ratelimited_with_retry_after(
    limited: tuple[str, FakeClock], acme: Acme, deployment: Backchannel
) -> None:
    url, _ = limited
    channel = await channels.create_channel(
        deployment.ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="burst"
    )
    client = ValidatingAsyncWebClient(token=acme.alice.token, base_url=f"{url}/api/")
    client.retry_handlers = []  # no retry handler may hide the 429 from this test
    with pytest.raises(SlackApiError) as refused:
        for _ in range(50):
            await client.chat_postMessage(channel=channel.id, text="again")
    assert refused.value.response.status_code == 429
    assert refused.value.response["error"] == "ratelimited"
    assert int(refused.value.response.headers["Retry-After"][0]) >= 1


SIGN_IN_BURST = 50  # auth.signin is Tier 3, per address and per email


@pytest.fixture
async def behind_proxy(deployment: Backchannel) -> AsyncIterator[str]:
    """Rate limits on, served behind a proxy on 127.0.0.1 that the operator names."""
    server = ServerSettings(rate_limits=True, trusted_proxies=("127.0.0.1",))
    settings = replace(deployment.settings, server=server)
    proxied = Backchannel(settings, deployment.ctx, RateLimiter(FakeClock()))
    async with live_server(proxied) as url:
        yield url


async def _sign_in(http: httpx.AsyncClient, email: str, forwarded_for: str) -> int:
    reply = await http.post(
        "/auth/signin",
        json={"email": email, "password": "not-the-password"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return reply.status_code


@pytest.mark.slow  # 50 sign-ins, each checked against an Argon2 hash
async def test_a_made_up_forwarded_for_gets_no_new_sign_in_bucket(
    limited: tuple[str, FakeClock], acme: Acme
) -> None:
    """No proxy is trusted by default: a client that says it is someone else each time is
    still limited by its own address."""
    url, _ = limited
    async with httpx.AsyncClient(base_url=url) as http:
        for n in range(SIGN_IN_BURST):
            assert await _sign_in(http, f"nobody{n}@acme.test", f"198.51.100.{n}") == 200
        assert await _sign_in(http, "somebody@acme.test", "198.51.100.250") == 429


@pytest.mark.slow  # 50 sign-ins, each checked against an Argon2 hash
async def test_a_named_proxy_says_who_signs_in(behind_proxy: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=behind_proxy) as http:
        for n in range(SIGN_IN_BURST):
            assert await _sign_in(http, f"nobody{n}@acme.test", "203.0.113.7") == 200
        assert await _sign_in(http, "somebody@acme.test", "203.0.113.7") == 429
        assert await _sign_in(http, "somebody@acme.test", "203.0.113.8") == 200


@pytest.mark.slow  # 50 sign-ins, each checked against an Argon2 hash
async def test_a_padded_email_shares_its_sign_in_bucket(behind_proxy: str, acme: Acme) -> None:
    """Sign-in reads an email trimmed and in lower case: so does its limit."""
    async with httpx.AsyncClient(base_url=behind_proxy) as http:
        for n in range(SIGN_IN_BURST):
            padded = " " * n + ("ALICE@acme.test" if n % 2 else "alice@acme.test")
            assert await _sign_in(http, padded, f"203.0.113.{n}") == 200
        assert await _sign_in(http, "alice@acme.test\t", "203.0.113.250") == 429
