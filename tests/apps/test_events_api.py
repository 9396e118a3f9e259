"""Bolt for Python's getting-started app on Bolt's own HTTP server: the Events API, signed
POSTs to its Request URL after Slack's url_verification challenge, from the app's durable
position in the log (docs/apps.md)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from backchannel.app import Backchannel
from backchannel.models import App
from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.apps.http_events import signature
from tests.apps.conftest import HttpApp, StartBolt, received, replies_by, with_bot
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import serving_edge


async def test_the_app_answers_hello_over_http(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    start_bolt: StartBolt,
    hello_bolt: str,
    edge_url: str,
) -> None:
    app = http_app.installed
    channel_id = await with_bot(ctx, acme, app)
    await start_bolt(hello_bolt, app, port=http_app.port)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello over http")
    (reply,) = await replies_by(alice, channel_id, posted["ts"], app.app.bot_user_id)
    assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    verified = await installs.get_app(ctx, app.app.id)
    assert verified.url_verified is not None  # it answered the challenge first


async def test_an_app_that_was_down_gets_every_event_once_when_it_is_back(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    start_bolt: StartBolt,
    edge_url: str,
    tmp_path: Path,
) -> None:
    app, record = http_app.installed, tmp_path / "received.jsonl"
    channel_id = await with_bot(ctx, acme, app)
    bolt = await start_bolt("hello.py", app, port=http_app.port, record=record)
    first = await alice.chat_postMessage(channel=channel_id, text="hello 0")
    await replies_by(alice, channel_id, first["ts"], app.app.bot_user_id)
    await bolt.stop()  # killed
    missed = [
        (await alice.chat_postMessage(channel=channel_id, text=f"hello {n}"))["ts"]
        for n in range(1, 6)
    ]
    await asyncio.sleep(0.5)  # deliveries meet a closed port meanwhile
    await start_bolt("hello.py", app, port=http_app.port, record=record)
    for ts in missed:
        (reply,) = await replies_by(alice, channel_id, ts, app.app.bot_user_id)
        assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    hellos = [
        r for r in received(record) if r["type"] == "message" and r["ts"] in {first["ts"], *missed}
    ]
    assert {r["ts"] for r in hellos} == {first["ts"], *missed}  # each arrived
    unmarked = [r["ts"] for r in hellos if r["retry"] in (None, "0")]
    assert sorted(unmarked) == sorted(set(unmarked)), "one came twice without a retry mark"


@dataclass
class FakeApp:
    """An app's HTTP server that answers the challenge, then as told: what it was sent."""

    answer: int = 200
    no_retry: bool = False
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("type") == "url_verification":
            return web.Response(text=body["challenge"])
        self.requests.append((dict(request.headers), body))
        headers = {"X-Slack-No-Retry": "1"} if self.no_retry else {}
        return web.Response(status=self.answer, headers=headers)

    def texts(self) -> list[str]:
        return [body["event"].get("text", "") for _, body in self.requests]


@contextlib.asynccontextmanager
async def serving(fake: FakeApp, port: int) -> AsyncIterator[None]:
    site = web.Application()
    site.router.add_post("/slack/events", fake.handle)
    runner = web.AppRunner(site, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(30.0):
        while True:
            if check():
                return
            await asyncio.sleep(0.05)


async def test_an_error_answer_is_retried_three_times_then_given_up_as_slack_does(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    edge_url: str,
) -> None:
    channel_id = await with_bot(ctx, acme, http_app.installed)
    fake = FakeApp(answer=500)
    async with serving(fake, http_app.port):
        await alice.chat_postMessage(channel=channel_id, text="refused")
        await until(lambda: len(fake.requests) >= 4)
        fake.answer = 200
        await alice.chat_postMessage(channel=channel_id, text="taken")
        await until(lambda: "taken" in fake.texts())
    refused = [headers for headers, body in fake.requests if body["event"]["text"] == "refused"]
    assert [h.get("X-Slack-Retry-Num") for h in refused] == [None, "1", "2", "3"]
    assert {h.get("X-Slack-Retry-Reason") for h in refused[1:]} == {"http_error"}
    first = refused[0]
    secret = http_app.installed.app.signing_secret
    body = orjson.dumps(fake.requests[0][1])
    assert first["X-Slack-Signature"] == signature(secret, first["X-Slack-Request-Timestamp"], body)


async def test_no_retry_gives_an_event_up_at_once(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    edge_url: str,
) -> None:
    channel_id = await with_bot(ctx, acme, http_app.installed)
    fake = FakeApp(answer=500, no_retry=True)
    async with serving(fake, http_app.port):
        await alice.chat_postMessage(channel=channel_id, text="once")
        await alice.chat_postMessage(channel=channel_id, text="twice")
        await until(lambda: "twice" in fake.texts())
    assert fake.texts() == ["once", "twice"]


async def test_a_url_that_never_answers_the_challenge_gets_nothing_and_is_disabled(
    deployment: Backchannel,
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
) -> None:
    channel_id = await with_bot(ctx, acme, http_app.installed)
    server = replace(deployment.settings.server, app_disable_after_minutes=0.01)
    quick = Backchannel(replace(deployment.settings, server=server), deployment.ctx, None)
    async with serving_edge(quick):  # nothing listens on the app's port
        await alice.chat_postMessage(channel=channel_id, text="hello?")

        async def disabled() -> App:
            async with asyncio.timeout(30.0):
                while True:
                    found = await installs.get_app(ctx, http_app.installed.app.id)
                    if found.delivery_disabled is not None:
                        return found
                    await asyncio.sleep(0.1)

        found = await disabled()
    assert found.url_verified is None
    assert found.delivery_error is not None
    assert "every delivery to the Request URL failed for 0.01 minutes" in found.delivery_error
