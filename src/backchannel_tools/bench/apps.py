"""`backchannel bench apps`: events delivered to Slack apps from one edge process, over
Socket Mode and over the Events API (docs/benchmarks.md, docs/apps.md).

An embedded server runs in its own process (rate limits off), with 1 or 10 apps installed
in one workspace, their bots in one channel. The apps are lean clients in this process: a
Socket Mode client that acknowledges each envelope, or an HTTP server answering 200. Each
scenario posts messages and times them from the post to the app's handler:
- burst: as fast as 8 posters go; events per second delivered to all the apps together;
- paced: 100 posts a second; post-to-handler latency p50 and p99;
- restart (Socket Mode, 1 app): the app's connection dropped midway and opened again a
  second later; every event must still arrive (lost = 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from websockets.asyncio.client import connect

from backchannel_tools.bench.harness import ServerProcess, run_cli

POSTERS = 8
PACED_RATE = 100.0
NUMBER = re.compile(r"bench (\d+)")
MANIFEST = """{{
  "display_information": {{"name": "bench {n}"}},
  "features": {{"bot_user": {{"display_name": "bench-bot-{n}"}}}},
  "oauth_config": {{"scopes": {{"bot": ["channels:history", "chat:write"]}}}},
  "settings": {{"event_subscriptions": {{{where}"bot_events": ["message.channels"]}},
               "socket_mode_enabled": {socket}}}
}}"""


@dataclass
class Received:
    """When each app's handler got each message (by its number)."""

    at: dict[tuple[int, int], float] = field(default_factory=dict)
    duplicates: int = 0

    def take(self, app: int, payload: dict[str, Any]) -> None:
        event = payload.get("event") or {}
        found = NUMBER.fullmatch(str(event.get("text", "")))
        if found is None or event.get("type") != "message" or event.get("subtype"):
            return
        key = (app, int(found.group(1)))
        if key in self.at:
            self.duplicates += 1
        else:
            self.at[key] = time.perf_counter()


@dataclass
class Row:
    transport: str
    apps: int
    scenario: str
    posted: int
    delivered: int
    seconds: float
    latencies: list[float]  # post to handler, seconds
    duplicates: int

    def cells(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(fraction: float) -> str:
            if not ordered:
                return "-"
            return f"{ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000:.1f}"

        expected = self.posted * self.apps
        return {
            "transport": self.transport,
            "apps": self.apps,
            "scenario": self.scenario,
            "posts": self.posted,
            "events delivered": self.delivered,
            "events/s": f"{self.delivered / self.seconds:,.0f}" if self.seconds else "-",
            "p50 ms": pct(0.5),
            "p99 ms": pct(0.99),
            "lost": expected - self.delivered,
            "repeated": self.duplicates,
        }


async def run(burst: int, paced_seconds: float, progress: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    for transport in ("socket", "http"):
        for count in (1, 10):
            progress(f"{transport}, {count} app(s)")
            rows.extend(await _scenarios(transport, count, burst, paced_seconds))
    return rows


async def _scenarios(transport: str, count: int, burst: int, paced: float) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bc-bench-apps-") as tmp:
        receiver = _Receiver()
        port = await receiver.start() if transport == "http" else 0
        setup = _setup(Path(tmp), transport, count, port)
        server = ServerProcess(setup.data)
        try:
            async with aiohttp.ClientSession() as session:
                channel = await _channel(session, server.url, setup)
                clients = (
                    [
                        asyncio.create_task(_socket_app(session, server.url, n, token, receiver))
                        for n, token in enumerate(setup.app_tokens)
                    ]
                    if transport == "socket"
                    else []
                )
                stage = Stage(session, server.url, setup, channel, receiver)
                await _warm_up(stage, count)
                rows = [await _burst(stage, count, burst), await _paced(stage, count, paced)]
                if transport == "socket" and count == 1:
                    clients[0].cancel()
                    rows.append(await _restart(stage, paced))
                for client in clients:
                    client.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await client
                return [_named(row, transport, count) for row in rows]
        finally:
            server.stop()
            await receiver.stop()


def _named(row: Row, transport: str, count: int) -> Row:
    row.transport, row.apps = ("Socket Mode" if transport == "socket" else "Events API"), count
    return row


@dataclass
class Setup:
    data: Path
    token: str  # the poster's
    app_tokens: list[str]
    bot_users: list[str]


def _setup(tmp: Path, transport: str, count: int, port: int) -> Setup:
    data = tmp / "data"
    cli = ("--data-dir", str(data))
    run_cli("admin", "create-workspace", "--name", "Bench", "--domain", "bench", *cli)
    made = run_cli(
        "admin",
        "create-user",
        "--workspace",
        "bench",
        "--email",
        "p@bench.test",
        "--name",
        "Poster",
        *cli,
    )
    app_tokens, bots = [], []
    for n in range(count):
        where = f'"request_url": "http://127.0.0.1:{port}/app/{n}", ' if transport == "http" else ""
        manifest = tmp / f"app{n}.json"
        socket_mode = "true" if transport == "socket" else "false"
        manifest.write_text(MANIFEST.format(n=n, where=where, socket=socket_mode))
        app = run_cli(
            "admin", "create-app", "--workspace", "bench", "--manifest", str(manifest), *cli
        )
        app_tokens.append(app["app_token"])
        bots.append(app["bot_user_id"])
    return Setup(data, made["token"], app_tokens, bots)


async def _api(
    session: aiohttp.ClientSession, url: str, method: str, token: str, **fields: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(f"{url}/api/{method}", data=fields, headers=headers) as reply:
        return dict(await reply.json())


async def _channel(session: aiohttp.ClientSession, url: str, setup: Setup) -> str:
    made = await _api(session, url, "conversations.create", setup.token, name="bench")
    channel = str(made["channel"]["id"])
    await _api(
        session,
        url,
        "conversations.invite",
        setup.token,
        channel=channel,
        users=",".join(setup.bot_users),
    )
    return channel


class _Receiver:
    """The HTTP apps: one server, a path per app, answering the challenge and 200."""

    def __init__(self) -> None:
        self.received = Received()
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_post("/app/{n}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return port

    async def _handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if body.get("type") == "url_verification":
            return web.Response(text=str(body["challenge"]))
        self.received.take(int(request.match_info["n"]), body)
        return web.Response(text="")

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _socket_app(
    session: aiohttp.ClientSession, url: str, n: int, token: str, receiver: _Receiver
) -> None:
    """A lean Socket Mode client: acknowledge each envelope, note its message."""
    while True:
        opened = await _api(session, url, "apps.connections.open", token)
        async with connect(opened["url"], max_size=None) as ws:
            async for raw in ws:
                message = orjson.loads(raw)
                if "envelope_id" in message:
                    await ws.send(orjson.dumps({"envelope_id": message["envelope_id"]}).decode())
                    receiver.received.take(n, message.get("payload") or {})
                elif message.get("type") == "disconnect":
                    break


async def _post(
    session: aiohttp.ClientSession, url: str, token: str, channel: str, number: int
) -> None:
    await _api(session, url, "chat.postMessage", token, channel=channel, text=f"bench {number}")


async def _delivered(receiver: _Receiver, numbers: range, count: int, stall: float = 30.0) -> float:
    """When the last of these messages reached every app; or, when none has arrived for
    `stall` seconds, then (what is missing by then counts as lost)."""
    wanted = [(app, number) for number in numbers for app in range(count)]
    arrived, since = -1, time.perf_counter()
    while time.perf_counter() - since < stall:
        got = sum(key in receiver.received.at for key in wanted)
        if got == len(wanted):
            return max(receiver.received.at[key] for key in wanted)
        if got != arrived:
            arrived, since = got, time.perf_counter()
        await asyncio.sleep(0.01)
    return since


@dataclass
class Stage:
    """One scenario's server, channel and apps."""

    session: aiohttp.ClientSession
    url: str
    setup: Setup
    channel: str
    receiver: _Receiver

    async def post(self, number: int) -> None:
        await _post(self.session, self.url, self.setup.token, self.channel, number)


class _Numbers:
    """Message numbers, never used twice in a run (each names one post)."""

    next = 0

    @classmethod
    def take(cls, count: int) -> range:
        taken = range(cls.next, cls.next + count)
        cls.next += count
        return taken


async def _warm_up(stage: Stage, count: int) -> None:
    """Until one message reaches every app (connections open, URLs verified)."""
    numbers = _Numbers.take(1)
    await stage.post(numbers.start)
    await _delivered(stage.receiver, numbers, count, stall=60.0)


async def _burst(stage: Stage, count: int, posts: int) -> Row:
    numbers = _Numbers.take(posts)
    queue = iter(numbers)
    started = time.perf_counter()
    sent: dict[int, float] = {}

    async def poster() -> None:
        for number in queue:
            sent[number] = time.perf_counter()
            await stage.post(number)

    await asyncio.gather(*(poster() for _ in range(POSTERS)))
    last = await _delivered(stage.receiver, numbers, count)
    return _row("burst", numbers, count, stage.receiver, sent, last - started)


async def _paced(
    stage: Stage, count: int, seconds: float, *, drop: Callable[[], None] | None = None
) -> Row:
    posts = int(seconds * PACED_RATE)
    numbers = _Numbers.take(posts)
    sent: dict[int, float] = {}
    started = time.perf_counter()
    tasks = []
    for k, number in enumerate(numbers):
        await asyncio.sleep(max(0.0, started + k / PACED_RATE - time.perf_counter()))
        if drop is not None and k == posts // 2:
            drop()
        sent[number] = time.perf_counter()
        tasks.append(asyncio.create_task(stage.post(number)))
    await asyncio.gather(*tasks)
    last = await _delivered(stage.receiver, numbers, count)
    return _row("paced 100/s", numbers, count, stage.receiver, sent, last - started)


async def _restart(stage: Stage, seconds: float) -> Row:
    """The app's connection dropped halfway through a paced run, back a second later."""

    def connect_app() -> asyncio.Task[None]:
        token = stage.setup.app_tokens[0]
        return asyncio.create_task(_socket_app(stage.session, stage.url, 0, token, stage.receiver))

    clients = [connect_app()]
    await asyncio.sleep(0.5)

    async def back() -> None:
        await asyncio.sleep(1.0)
        clients.append(connect_app())

    def drop() -> None:
        clients[0].cancel()
        clients.append(asyncio.create_task(back()))

    try:
        row = await _paced(stage, 1, seconds, drop=drop)
    finally:
        for client in clients:
            client.cancel()
    row.scenario = "restart midway"
    return row


def _row(
    scenario: str,
    numbers: range,
    count: int,
    r: _Receiver,
    sent: dict[int, float],
    seconds: float,
) -> Row:
    got = [(app, n) for n in numbers for app in range(count) if (app, n) in r.received.at]
    latencies = [r.received.at[(app, n)] - sent[n] for app, n in got]
    duplicates, r.received.duplicates = r.received.duplicates, 0
    return Row("", count, scenario, len(numbers), len(got), seconds, latencies, duplicates)
