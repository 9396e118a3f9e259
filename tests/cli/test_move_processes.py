"""`admin move-workspace` across real processes: a running server, a person posting through
the Web API and another listening on a websocket, while the real command moves their
workspace to the other shard, on SQLite and PostgreSQL (docs/router.md, Moving a
workspace)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.exceptions import ConnectionClosed

from backchannel.config import StorageSettings
from tests.cli.test_realtime_processes import (
    WAIT,
    Listener,
    Person,
    general_channel,
    open_socket,
    populate,
    post,
    postgres_storage,
)
from tests.support.cli import Processes, run_cli
from tests.support.postgres import PostgresCluster

RETRY_PAUSE = 0.05  # a client's backoff between attempts, not a wait for an event


async def connect_when_allowed(
    http: httpx.AsyncClient, url: str, person: Person
) -> tuple[str, int]:
    """rtm.connect until it gives a URL; how many times it said migration_in_progress."""
    refused = 0
    async with asyncio.timeout(WAIT):
        while True:
            reply = await http.post(
                f"{url}/api/rtm.connect", headers={"Authorization": f"Bearer {person.token}"}
            )
            body = reply.json()
            if body["ok"]:
                return str(body["url"]), refused
            assert body["error"] == "migration_in_progress", body
            refused += 1
            await asyncio.sleep(RETRY_PAUSE)


async def told_to_leave(listener: Listener) -> list[dict[str, Any]]:
    """The frames until the server closes the socket; the close must follow the notice."""
    frames = []
    async with asyncio.timeout(WAIT):
        with contextlib.suppress(ConnectionClosed):  # 1012 counts as an error close
            async for raw in listener.connection:
                frames.append(orjson.loads(raw))
    return frames


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> StorageSettings:
    if request.param == "sqlite":
        return StorageSettings(data_dir=tmp_path / "data", shards=2, ms_shards=1)
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return postgres_storage(cluster, tmp_path, ms_shards=1)


async def test_a_workspace_moves_under_a_running_server(
    storage: StorageSettings, processes: Processes
) -> None:
    team = (await populate(storage, {"acme": ["ann", "bob"]}))["acme"]
    ann, bob = team.people.values()
    where = (
        ("--data-dir", str(storage.data_dir))
        if storage.database_url is None
        else ("--database-url", storage.database_url)
    )
    server = await processes.started(*where, "--edge-port", "0", "--no-rate-limits")

    async with httpx.AsyncClient(timeout=WAIT) as http:
        general = await general_channel(http, server.url, ann)
        url, _ = await connect_when_allowed(http, server.url, bob)
        listener = Listener(*await open_socket(url))
        posted: list[str] = []
        stop = asyncio.Event()

        async def keep_posting() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                posted.append(await post(http, server.url, ann, general, f"during {n}"))

        posting = asyncio.create_task(keep_posting())
        leaving = asyncio.create_task(told_to_leave(listener))
        moved = await asyncio.to_thread(
            run_cli, "admin", "move-workspace", "acme", "--to", "shard-1", "--json", *where
        )
        stop.set()
        await posting
        assert moved.returncode == 0, moved.stderr
        report = json.loads(moved.stdout)["moved"][0]
        print(report)  # shown with -s: the figures of the move
        assert (report["source"], report["target"], report["cleaned_up"]) == (
            "shard-0",
            "shard-1",
            True,
        )
        frames = await leaving
        assert {"type": "team_migration_started"} in frames
        assert listener.connection.close_code == 1012

        url, _ = await connect_when_allowed(http, server.url, bob)
        back = Listener(*await open_socket(url))
        after = await post(http, server.url, ann, general, "after the move")
        await back.until(after)
        await back.connection.close()

        history = await http.post(
            f"{server.url}/api/conversations.history",
            data={"channel": general, "limit": "1000"},
            headers={"Authorization": f"Bearer {bob.token}"},
        )
        kept = {message["ts"] for message in history.json()["messages"]}
    assert len(posted) > 0 and set(posted) | {after} <= kept  # every acknowledged post
    shards = json.loads(run_cli("admin", "shards", "--json", *where).stdout)
    placed = {s["name"]: [w["domain"] for w in s["workspaces"]] for s in shards["db_shards"]}
    assert placed == {"shard-0": [], "shard-1": ["acme"]}
