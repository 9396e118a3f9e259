"""Workspaces move between edges across real processes (docs/edge-cache.md, Routing): a NATS
server, one webapp, edges that come and go. A client follows its workspace: when its edge
is killed, or says goodbye because another edge now owns the workspace, it calls rtm.connect
again, lands on the owner and resumes from its last token, losing nothing and getting
nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from backchannel.config import StorageSettings
from backchannel.models import EdgeInfo
from backchannel.services.realtime.edges import choose_owner
from tests.cli.test_realtime_processes import (
    DROPPED,
    RETRY_PAUSE,
    WAIT,
    Person,
    Team,
    general_channel,
    populate,
    post,
    postgres_storage,
    rejoin,
    rtm_url,
    where,
)
from tests.support.cli import Processes
from tests.support.postgres import PostgresCluster

BEAT = 0.5  # the edges' heartbeat: a killed edge is not live 2.5 s after its last one
GOING_AWAY = 1001


@dataclass
class Visit:
    """One socket of a client: which edge, whether it resumed from a token, how it ended."""

    edge: tuple[str, str]
    resumed: bool
    goodbye: bool = False
    close_code: int | None = None


@dataclass
class Roaming:
    """A client that comes back through rtm.connect whenever its socket ends (a goodbye, a
    dead edge, a 421 from an edge that does not own its workspace), with its last token."""

    person: Person
    webapp: str
    channel: str
    resume: str | None = None
    received: list[str] = field(default_factory=list, repr=False)  # message ts, in order
    visits: list[Visit] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def run(self, http: httpx.AsyncClient) -> None:
        while True:
            with contextlib.suppress(*DROPPED):
                await self._visit(http)
            await asyncio.sleep(RETRY_PAUSE)

    async def _visit(self, http: httpx.AsyncClient) -> None:
        url, connection, hello = await rejoin(http, self.webapp, self.person, self.resume)
        async with connection:
            visit = Visit(where(url), resumed=self.resume is not None)
            self.visits.append(visit)
            self.resume = hello["resume"]
            self.changed.set()
            try:
                async for raw in connection:
                    event = orjson.loads(raw)
                    if event.get("type") == "goodbye":
                        visit.goodbye = True
                    if event.get("type") == "message" and event.get("channel") == self.channel:
                        self.received.append(event["ts"])
                    if "resume" in event:
                        self.resume = event["resume"]
                    self.changed.set()
            finally:
                visit.close_code = connection.close_code
                self.changed.set()

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    async def has(self, posted: list[str]) -> None:
        await self.until(lambda: len(self.received) >= len(posted))
        assert self.received == posted  # every one, once, in posting order


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def owner(team: Team, *urls: str) -> str:
    found = choose_owner(team.id, team.ms_shard, [EdgeInfo(u, None, 0.0, 0.0, BEAT) for u in urls])
    assert found is not None
    return found.url


async def place(storage: StorageSettings, a: str, b: str, c: str) -> tuple[Team, Team]:
    """Create workspaces (their ids are random) until one belongs to edge A and one to B
    while both are live, and exactly one of the two goes to C once A is gone and C has
    joined."""
    made: list[Team] = []
    for n in range(40):
        made += (await populate(storage, {f"w{n}": ["ann", "cat"]})).values()
        for first in (team for team in made if owner(team, a, b) == a):
            for second in (team for team in made if owner(team, a, b) == b):
                if (owner(first, b, c) == c) != (owner(second, b, c) == c):
                    return first, second
    raise AssertionError("no two workspaces fit; rendezvous hashing looks lopsided")


async def routed(http: httpx.AsyncClient, webapp: str, team: Team, edge: str) -> None:
    """Until the webapp's view of the edges sends the team to `edge` (it reads the view
    about once a second)."""
    async with asyncio.timeout(WAIT):
        while True:
            if where(await rtm_url(http, webapp, team.people["ann"])) == where(edge):
                return
            await asyncio.sleep(RETRY_PAUSE)


async def test_clients_follow_their_workspace_from_edge_to_edge(
    postgres: PostgresCluster, nats_url: str, processes: Processes, tmp_path: Path
) -> None:
    storage = postgres_storage(postgres, tmp_path, ms_shards=1)
    a, b, c = (f"ws://127.0.0.1:{port}" for port in free_ports(3))
    first, second = await place(storage, a, b, c)  # first is A's, second is B's

    common = ("--nats", nats_url, "--database-url", str(storage.database_url), "--no-rate-limits")
    edge_args = ("--role", "edge", "--edge-heartbeat", str(BEAT), *common)
    webapp = processes.start("--role", "webapp", *common)
    edge_a = processes.start(*edge_args, "--port", a.rsplit(":", 1)[1])
    edge_b = processes.start(*edge_args, "--port", b.rsplit(":", 1)[1])
    for server in (webapp, edge_a, edge_b):
        await processes.ready(server)
    assert (edge_a.edge_url, edge_b.edge_url) == (a, b)
    assert edge_a.lines[-1].endswith("(heartbeat every 0.5 s; message-server shards ms-0)")

    async with httpx.AsyncClient(timeout=WAIT) as http, asyncio.TaskGroup() as group:
        for team in (first, second):
            team.general = await general_channel(http, webapp.url, team.people["ann"])
        await routed(http, webapp.url, first, a)
        await routed(http, webapp.url, second, b)
        clients = {
            team.id: Roaming(team.people["ann"], webapp.url, team.general)
            for team in (first, second)
        }
        tasks = [group.create_task(client.run(http)) for client in clients.values()]
        posted: dict[str, list[str]] = {first.id: [], second.id: []}

        async def converse(count: int, label: str) -> None:
            for n in range(count):
                for team in (first, second):
                    ts = await post(
                        http, webapp.url, team.people["cat"], team.general, f"{label}{n}"
                    )
                    posted[team.id].append(ts)

        # 1. Each workspace's client is on its owner.
        for client in clients.values():
            await client.until(lambda client=client: bool(client.visits))
        assert clients[first.id].visits[0].edge == where(a)
        assert clients[second.id].visits[0].edge == where(b)
        await converse(5, "before ")
        for team in (first, second):
            await clients[team.id].has(posted[team.id])

        # 2. A is killed; what is posted meanwhile reaches its client on B.
        edge_a.process.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(edge_a.process.wait, WAIT) == -signal.SIGKILL
        await converse(10, "while A is down ")
        moved = clients[first.id]
        await moved.until(lambda: moved.visits[-1].edge == where(b))
        await converse(5, "on B ")
        for team in (first, second):
            await clients[team.id].has(posted[team.id])
        assert moved.visits[-1].resumed
        assert len(clients[second.id].visits) == 1  # B's own client never noticed

        # 3. C joins: one of the two workspaces is C's now. Its socket on B gets goodbye and
        # 1001, and its client resumes on C; the other stays where it is.
        going = next(team for team in (first, second) if owner(team, b, c) == c)
        staying = second if going is first else first
        mover, stayer = clients[going.id], clients[staying.id]
        left_b = len(mover.visits) - 1
        edge_c = await processes.started(*edge_args, "--port", c.rsplit(":", 1)[1])
        assert edge_c.edge_url == c
        await converse(3, "as C joins ")
        await mover.until(lambda: mover.visits[-1].edge == where(c))
        await converse(3, "on C ")
        for team in (first, second):
            await clients[team.id].has(posted[team.id])
        on_b = mover.visits[left_b]
        assert (on_b.edge, on_b.goodbye, on_b.close_code) == (where(b), True, GOING_AWAY)
        assert mover.visits[-1].resumed
        assert stayer.visits[-1].edge == where(b) and not stayer.visits[-1].goodbye
        assert stayer.visits[-1].close_code is None  # still open
        for task in tasks:
            task.cancel()
    for client in clients.values():  # shown when the test failed
        print(client, f"{len(client.received)} messages")
