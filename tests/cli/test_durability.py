"""Acknowledged writes survive a crash: posts answered ok are there after a SIGKILL."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx

from tests.support.cli import RunningServer, run_cli


async def _post_until_killed(url: str, token: str, channel: str, server: RunningServer) -> set[str]:
    """8 clients post until the server is killed mid-stream; the ts of every ok reply."""
    acked: set[str] = set()
    headers = {"Authorization": f"Bearer {token}"}

    async def client(number: int) -> None:
        async with httpx.AsyncClient(headers=headers, timeout=10) as http:
            for sequence in range(10_000):
                try:
                    reply = await http.post(
                        f"{url}/api/chat.postMessage",
                        data={"channel": channel, "text": f"client {number} message {sequence}"},
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if reply.json().get("ok"):
                    acked.add(reply.json()["ts"])
                if len(acked) >= 150 and number == 0 and server.process.poll() is None:
                    server.process.send_signal(signal.SIGKILL)

    await asyncio.gather(*(client(n) for n in range(8)))
    return acked


async def _history(url: str, token: str, channel: str) -> set[str]:
    seen: set[str] = set()
    cursor = ""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            page = (
                await http.get(
                    f"{url}/api/conversations.history",
                    params={"channel": channel, "limit": 1000, "cursor": cursor},
                )
            ).json()
            seen |= {message["ts"] for message in page["messages"]}
            cursor = page.get("response_metadata", {}).get("next_cursor", "")
            if not page["has_more"] or not cursor:
                return seen


async def test_acknowledged_posts_survive_sigkill(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    run_cli("admin", "create-workspace", "--name", "Crash", "--domain", "crash", "--data-dir", data)
    made = run_cli(
        "admin",
        "create-user",
        "--workspace",
        "crash",
        "--email",
        "c@crash.test",
        "--name",
        "Crash",
        "--data-dir",
        data,
        "--json",
    )
    token = json.loads(made.stdout)["token"]

    with RunningServer("--no-rate-limits", "--data-dir", data) as server:
        server.wait_for(" serving ")
        async with httpx.AsyncClient() as http:
            listed = (
                await http.get(f"{server.url}/api/conversations.list", params={"token": token})
            ).json()
        general = next(c["id"] for c in listed["channels"] if c["is_general"])
        acked = await _post_until_killed(server.url, token, general, server)
        assert server.process.wait(timeout=30) == -signal.SIGKILL
    assert len(acked) >= 150

    with RunningServer("--no-rate-limits", "--data-dir", data) as again:
        again.wait_for(" serving ")
        stored = await _history(again.url, token, general)
        assert again.stop(signal.SIGTERM) == 0
    assert acked <= stored, f"{len(acked - stored)} acknowledged posts were lost"
