"""`backchannel bench api`: chat.postMessage and conversations.history on embedded SQLite.

An embedded server runs in its own process (rate limits off); the load comes from this
process over loopback HTTP with keep-alive connections, 1 and 8 clients at a time.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from backchannel_tools.bench.harness import Call, Result, ServerProcess, measure, run_cli

FILL_MESSAGES = 2_000


async def _api(
    session: aiohttp.ClientSession, url: str, method: str, token: str, **fields: Any
) -> dict[str, Any]:
    async with session.post(
        f"{url}/api/{method}", data=fields, headers={"Authorization": f"Bearer {token}"}
    ) as reply:
        return dict(await reply.json())


async def _general(url: str, token: str) -> str:
    async with aiohttp.ClientSession() as session:
        listed = await _api(session, url, "conversations.list", token, limit="100")
    return str(next(c["id"] for c in listed["channels"] if c["is_general"]))


def _poster(url: str, token: str, channel: str, label: str) -> Call:
    async def post(session: aiohttp.ClientSession, sequence: int) -> bool:
        reply = await _api(
            session, url, "chat.postMessage", token, channel=channel, text=f"{label} {sequence}"
        )
        return bool(reply.get("ok"))

    return post


async def _fill(url: str, token: str, channel: str, count: int) -> None:
    post = _poster(url, token, channel, "fill message")

    async with aiohttp.ClientSession() as session:
        for batch in range(0, count, 8):
            await asyncio.gather(*(post(session, batch + n) for n in range(8)))


async def run(duration: float, progress: Callable[[str], None]) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bc-bench-") as tmp:
        data = Path(tmp) / "data"
        run_cli(
            "admin",
            "create-workspace",
            "--name",
            "Bench",
            "--domain",
            "bench",
            "--data-dir",
            str(data),
        )
        token = run_cli(
            "admin",
            "create-user",
            "--workspace",
            "bench",
            "--email",
            "load@bench.test",
            "--name",
            "Load",
            "--data-dir",
            str(data),
        )["token"]
        server = ServerProcess(data)
        try:
            channel = await _general(server.url, token)
            progress(f"filling #general with {FILL_MESSAGES} messages")
            await _fill(server.url, token, channel, FILL_MESSAGES)
            return await _scenarios(server.url, token, channel, duration, progress)
        finally:
            server.stop()


async def _scenarios(
    url: str, token: str, channel: str, duration: float, progress: Callable[[str], None]
) -> list[Result]:
    post = _poster(url, token, channel, "benchmark message")

    async def history(session: aiohttp.ClientSession, _: int) -> bool:
        reply = await _api(
            session, url, "conversations.history", token, channel=channel, limit="100"
        )
        return bool(reply.get("ok")) and len(reply["messages"]) == 100

    results = []
    for name, call in (("chat.postMessage", post), ("conversations.history", history)):
        for clients in (1, 8):
            progress(f"{name} with {clients} client(s) for {duration:g}s")
            results.append(await measure(name, call, concurrency=clients, duration=duration))
    return results
