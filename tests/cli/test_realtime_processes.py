"""Real time across real processes: webapps and edges joined by NATS, a killed edge, a restart.

Every process is the real `backchannel serve` command; clients are real websockets opened
through rtm.connect. See docs/realtime.md (Processes, Resuming).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.metrics.reading import total
from backchannel.models import TokenInfo
from backchannel.services.identity import auth
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.support.cli import Processes, RunningServer
from tests.support.metrics import scrape
from tests.support.postgres import PostgresCluster

WAIT = 30.0  # generous: processes start, sockets reconnect
RETRY_PAUSE = 0.05  # between a client's reconnection attempts (a backoff, not a wait for an event)
MISDIRECTED = 421


class NoLiveEdge(Exception):
    """rtm.connect answered service_unavailable: the edge has been down for longer than its
    heartbeats say it is live (how long a restart takes is up to the machine)."""


# What a client sees while its edge is down or restarting.
DROPPED = (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, httpx.HTTPError, NoLiveEdge)


# -- the deployment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    user_id: str
    token: str = field(repr=False)


@dataclass
class Team:
    id: str
    domain: str
    ms_shard: str
    people: dict[str, Person]
    general: str = ""  # #general's id, read through the Web API


def postgres_storage(
    cluster: PostgresCluster, tmp_path: Path, *, ms_shards: int
) -> StorageSettings:
    """A new deployment on PostgreSQL: a main DB and two shards."""
    return StorageSettings(
        data_dir=tmp_path / "data",
        database_url=cluster.create_database("main"),
        shard_urls=(cluster.create_database("shard"), cluster.create_database("shard")),
        ms_shards=ms_shards,
    )


async def populate(storage: StorageSettings, plan: dict[str, list[str]]) -> dict[str, Team]:
    """Create the deployment, then each workspace (on the least-loaded shards) with its people."""
    backchannel = await open_backchannel(Settings(storage=storage))
    ctx = backchannel.ctx
    teams: dict[str, Team] = {}
    try:
        for domain, names in plan.items():
            made = await workspaces.create_workspace(ctx, name=domain.title(), domain=domain)
            people = {}
            for name in names:
                new = await users.create_user(
                    ctx, workspace=domain, email=f"{name}@{domain}.test", name=name.title()
                )
                people[name] = Person(name, new.user.id, new.token)
            ms_shard = (await ctx.router.assignment(made.id)).ms_shard
            teams[domain] = Team(made.id, domain, ms_shard, people)
    finally:
        await backchannel.close()
    return teams


# -- the Web API ------------------------------------------------------------------------------


async def answer(http: httpx.AsyncClient, url: str, token: str, method: str, **form: str) -> Any:
    reply = await http.post(
        f"{url}/api/{method}", data=form, headers={"Authorization": f"Bearer {token}"}
    )
    return reply.json()


async def call(http: httpx.AsyncClient, url: str, token: str, method: str, **form: str) -> Any:
    body = await answer(http, url, token, method, **form)
    assert body["ok"], (method, body)
    return body


async def general_channel(http: httpx.AsyncClient, url: str, person: Person) -> str:
    listed = await call(http, url, person.token, "conversations.list")
    return str(next(c["id"] for c in listed["channels"] if c["is_general"]))


async def post(http: httpx.AsyncClient, url: str, person: Person, channel: str, text: str) -> str:
    """Post until the webapp answers ok; a retry carries the same client_msg_id (no duplicate)."""
    client_msg_id = str(uuid.uuid4())
    while True:
        try:
            body = await call(
                http,
                url,
                person.token,
                "chat.postMessage",
                channel=channel,
                text=text,
                client_msg_id=client_msg_id,
            )
        except httpx.HTTPError:
            await asyncio.sleep(RETRY_PAUSE)
            continue
        return str(body["ts"])


# -- sockets ----------------------------------------------------------------------------------


@dataclass
class Listener:
    """One socket, and every frame it received (raw, to look for what must not be there)."""

    connection: ClientConnection
    hello: dict[str, Any]
    frames: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def until(self, ts: str) -> None:
        """Read until the message `ts` has arrived."""
        async with asyncio.timeout(WAIT):
            while not self.messages or self.messages[-1]["ts"] != ts:
                raw = await self.connection.recv()
                assert isinstance(raw, str)
                self.frames.append(raw)
                event = orjson.loads(raw)
                if event.get("type") == "message":
                    self.messages.append(event)


async def open_socket(
    url: str, resume: str | None = None
) -> tuple[ClientConnection, dict[str, Any]]:
    """A socket on an rtm.connect URL, and its hello."""
    if resume is not None:
        url = f"{url}&resume={resume}"
    connection = await connect(url, open_timeout=WAIT, max_size=None)
    try:
        async with asyncio.timeout(WAIT):
            hello = orjson.loads(await connection.recv())
    except BaseException:
        await connection.close()
        raise
    assert hello["type"] == "hello", hello
    return connection, dict(hello)


def where(url: str) -> tuple[str, str]:
    """A websocket URL's scheme and address, whatever its path and query."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


async def rtm_url(http: httpx.AsyncClient, webapp: str, person: Person) -> str:
    body = await answer(http, webapp, person.token, "rtm.connect")
    if body.get("error") == "service_unavailable":
        raise NoLiveEdge(body)
    assert body["ok"], ("rtm.connect", body)
    return str(body["url"])


async def rejoin(
    http: httpx.AsyncClient, webapp: str, person: Person, resume: str | None
) -> tuple[str, ClientConnection, dict[str, Any]]:
    """A socket through rtm.connect, resumed from `resume` (None: from its ticket) with
    nothing lost; its URL and hello."""
    url = await rtm_url(http, webapp, person)
    connection, hello = await open_socket(url, resume)
    whole = not hello.get("limited") and resume in (None, hello["resume"])
    if not whole:
        await connection.close()
    assert whole, (hello, resume)  # the log still has every event
    return url, connection, hello


# -- 1. events cross processes ----------------------------------------------------------------


async def test_events_cross_processes(
    postgres: PostgresCluster, nats_url: str, processes: Processes, tmp_path: Path
) -> None:
    storage = postgres_storage(postgres, tmp_path, ms_shards=2)
    teams = await populate(storage, {"north": ["ann", "arlo", "ava"], "south": ["ben", "bea"]})
    north, south = teams["north"], teams["south"]
    assert north.ms_shard != south.ms_shard  # the least-loaded message-server shard each

    common = ("--nats", nats_url, "--database-url", str(storage.database_url), "--no-rate-limits")
    starting = [processes.start("--role", "webapp", *common) for _ in range(2)]
    edges = {
        team.ms_shard: processes.start("--role", "edge", "--ms-shard", team.ms_shard, *common)
        for team in (north, south)
    }
    for server in [*starting, *edges.values()]:
        await processes.ready(server)
    webapps = [server.url for server in starting]
    edge_of = {shard: server.edge_url for shard, server in edges.items()}
    for shard, server in edges.items():
        assert server.lines[-1].endswith(f"; message-server shards {shard})")

    async with httpx.AsyncClient(timeout=WAIT) as http:
        for team in teams.values():
            team.general = await general_channel(http, webapps[0], next(iter(team.people.values())))
        await _wrong_edge_keeps_the_ticket(http, webapps[0], north, edge_of[south.ms_shard])

        # Each person connects through either webapp: both send them to their workspace's edge.
        listeners: dict[str, list[Listener]] = {}
        for team in teams.values():
            listeners[team.domain] = []
            for number, person in enumerate(team.people.values()):
                url = await rtm_url(http, webapps[number % 2], person)
                assert where(url) == where(edge_of[team.ms_shard]), url
                listeners[team.domain].append(Listener(*await open_socket(url)))

        async def converse(team: Team, count: int) -> list[str]:
            speakers = list(team.people.values())
            return [
                await post(
                    http,
                    webapps[n % 2],
                    speakers[n % len(speakers)],
                    team.general,
                    f"{team.domain} {n}",
                )
                for n in range(count)
            ]

        await _the_boots_avatars_are_served(http, listeners["north"][0])
        conversations = await asyncio.gather(converse(north, 40), converse(south, 40))
        posted = dict(zip(teams, conversations, strict=True))
        for domain, team_listeners in listeners.items():
            await asyncio.gather(*(lis.until(posted[domain][-1]) for lis in team_listeners))
        await _metrics_count_it_all(http, webapps, edge_of, teams, listeners)

    for domain, team_listeners in listeners.items():
        team = teams[domain]
        other = south if team is north else north
        for lis in team_listeners:
            assert [m["ts"] for m in lis.messages] == posted[domain]  # each once, in order
            assert {m["channel"] for m in lis.messages} == {team.general}
            leaked = [raw for raw in lis.frames if other.id in raw or other.general in raw]
            assert leaked == [], f"{domain} received {other.domain}'s events"
            await lis.connection.close()


async def _the_boots_avatars_are_served(http: httpx.AsyncClient, listener: Listener) -> None:
    """An edge-only process makes the lean boot itself: the default avatars it names are
    served where it says (by the edge, with no public_url set)."""
    await listener.connection.send(orjson.dumps({"type": "client.boot", "id": 1}).decode())
    async with asyncio.timeout(WAIT):
        while (boot := orjson.loads(await listener.connection.recv())).get("reply_to") != 1:
            pass
    assert boot["ok"] is True and boot["users"]
    for user in boot["users"]:
        picture = await http.get(user["profile"]["image_72"])
        assert picture.status_code == 200, user["profile"]["image_72"]
        assert picture.headers["content-type"] == "image/svg+xml"
        assert picture.text.startswith("<svg")


async def _metrics_count_it_all(
    http: httpx.AsyncClient,
    webapps: list[str],
    edge_of: dict[str, str],
    teams: dict[str, Team],
    listeners: dict[str, list[Listener]],
) -> None:
    """Each process's /metrics: the webapps counted the 80 posts between them, and each
    edge its own sockets, what it delivered and the bus's lag of what NATS brought it."""
    pages = [await scrape(http, url) for url in webapps]
    posts = sum(total(p, "backchannel_api_requests_total", method="chat.postMessage", status="ok")
                for p in pages)  # fmt: skip
    assert posts == 80
    for domain, team_listeners in listeners.items():
        page = await scrape(http, edge_of[teams[domain].ms_shard])
        assert total(page, "backchannel_edge_sockets") == len(team_listeners)
        assert total(page, "backchannel_events_delivered_total") >= 40 * len(team_listeners)
        assert total(page, "backchannel_bus_lag_seconds_count") >= 40


async def _wrong_edge_keeps_the_ticket(
    http: httpx.AsyncClient, webapp: str, team: Team, wrong_edge: str
) -> None:
    """A ticket taken to an edge that does not own the workspace (here: does not serve its
    message-server shard): 421, and still usable."""
    person = next(iter(team.people.values()))
    url = await rtm_url(http, webapp, person)
    wrong = urlsplit(url)._replace(netloc=urlsplit(wrong_edge).netloc).geturl()
    with pytest.raises(InvalidStatus) as refused:
        await connect(wrong, open_timeout=WAIT)
    assert refused.value.response.status_code == MISDIRECTED
    connection, _ = await open_socket(url)
    await connection.close()


# -- 2. no loss when the edge is killed --------------------------------------------------------


@dataclass
class Reconnecting:
    """A client that keeps its last resume token and comes back with it whenever it drops."""

    person: Person
    webapp: str
    channel: str
    resume: str | None = None
    received: list[str] = field(default_factory=list, repr=False)  # message ts, in order
    connected: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    heard: asyncio.Event = field(default_factory=asyncio.Event, repr=False)  # a message came
    drops: int = 0
    resumed: int = 0  # reconnections that presented a token and were resumed from it

    async def run(self, http: httpx.AsyncClient, want: int) -> None:
        while len(self.received) < want:
            with contextlib.suppress(*DROPPED):  # the edge is gone, or not back yet
                await self._session(http, want)
            if len(self.received) < want:
                self.drops += 1
                await asyncio.sleep(RETRY_PAUSE)

    async def _session(self, http: httpx.AsyncClient, want: int) -> None:
        _, connection, hello = await rejoin(http, self.webapp, self.person, self.resume)
        async with connection:
            if self.resume is not None:
                self.resumed += 1
            self.resume = hello["resume"]
            self.connected.set()
            async for raw in connection:
                event = orjson.loads(raw)
                if event.get("type") == "message" and event.get("channel") == self.channel:
                    self.received.append(event["ts"])
                    self.heard.set()
                if "resume" in event:
                    self.resume = event["resume"]
                if len(self.received) >= want:
                    return


async def test_no_loss_when_the_edge_is_killed(
    postgres: PostgresCluster, nats_url: str, processes: Processes, tmp_path: Path
) -> None:
    total, kill_at = 1000, 300
    storage = postgres_storage(postgres, tmp_path, ms_shards=1)
    team = (await populate(storage, {"kiln": ["ann", "bob", "cat"]}))["kiln"]
    ann, bob, cat = team.people.values()

    common = ("--nats", nats_url, "--database-url", str(storage.database_url), "--no-rate-limits")
    webapp = processes.start("--role", "webapp", *common)
    edge = processes.start("--role", "edge", *common)
    await processes.ready(webapp)
    await processes.ready(edge)
    edge_args = ("--role", "edge", *common, "--port", edge.edge_url.rsplit(":", 1)[1])

    async with httpx.AsyncClient(timeout=WAIT) as http:
        team.general = await general_channel(http, webapp.url, ann)
        clients = [Reconnecting(who, webapp.url, team.general) for who in (ann, ann, bob)]
        posted: list[str] = []
        at_kill: list[int] = []  # how many messages each client had when the edge died

        async def post_through_a_kill() -> None:
            async with asyncio.timeout(WAIT):
                await asyncio.gather(*(client.connected.wait() for client in clients))
            restarting: asyncio.Task[RunningServer] | None = None
            for n in range(total):
                if n == kill_at:
                    # Mid-stream: every socket has had messages, and more are on their way.
                    async with asyncio.timeout(WAIT):
                        await asyncio.gather(*(client.heard.wait() for client in clients))
                    edge.process.send_signal(signal.SIGKILL)
                    assert await asyncio.to_thread(edge.process.wait, WAIT) == -signal.SIGKILL
                    at_kill.extend(len(client.received) for client in clients)
                    # The same port, so the same URL; the poster goes on meanwhile.
                    restarting = asyncio.create_task(processes.started(*edge_args))
                posted.append(await post(http, webapp.url, cat, team.general, f"message {n}"))
            assert restarting is not None
            await restarting

        try:
            # A client that fails stops the rest at once (the test fails with its error).
            async with asyncio.timeout(4 * WAIT), asyncio.TaskGroup() as group:
                for client in clients:
                    group.create_task(client.run(http, total))
                group.create_task(post_through_a_kill())
        finally:
            for client in clients:  # shown when the test failed
                print(client, f"{len(client.received)} messages")

    assert all(0 < count <= kill_at for count in at_kill), at_kill
    for client in clients:
        assert len(client.received) == len(set(client.received)), "a message came twice"
        assert client.received == posted  # every one, once, in posting order
        assert client.drops >= 1 and client.resumed >= 1  # it came back with its token


# -- 3. resume after every process restarted ---------------------------------------------------


async def test_resume_after_every_process_restarted(processes: Processes, tmp_path: Path) -> None:
    data = tmp_path / "data"
    team = (await populate(StorageSettings(data_dir=data), {"loft": ["ann", "bob"]}))["loft"]
    ann, bob = team.people.values()
    serve = ("--data-dir", str(data), "--edge-port", "0", "--no-rate-limits")  # role all

    first = await processes.started(*serve)
    async with httpx.AsyncClient(timeout=WAIT) as http:
        team.general = await general_channel(http, first.url, ann)
        connection, hello = await open_socket(await rtm_url(http, first.url, bob))
        listener = Listener(connection, hello)
        seen = await post(http, first.url, ann, team.general, "seen")
        await listener.until(seen)
        token = listener.messages[-1]["resume"]
        await connection.close()
        missed = [await post(http, first.url, ann, team.general, f"missed {n}") for n in range(5)]
        assert await asyncio.to_thread(first.stop, signal.SIGTERM) == 0  # every process

        again = await processes.started(*serve)
        connection, hello = await open_socket(await rtm_url(http, again.url, bob), token)
        assert hello["resume"] == token and not hello.get("limited"), hello
        back = Listener(connection, hello)
        live = await post(http, again.url, ann, team.general, "live again")
        await back.until(live)
        await connection.close()
        assert await asyncio.to_thread(again.stop, signal.SIGTERM) == 0
    assert [m["ts"] for m in back.messages] == [*missed, live]  # exactly what was missed
    assert [m["text"] for m in back.messages] == [*(f"missed {n}" for n in range(5)), "live again"]


# -- 4. a revocation reaches the edge's sockets across processes --------------------------------


async def another_token(storage: StorageSettings, team: Team, person: Person) -> Person:
    """The same person with a second token of their own (a second script, say)."""
    backchannel = await open_backchannel(Settings(storage=storage))
    try:
        who = TokenInfo(person.user_id, team.id, "user")
        return Person(person.name, person.user_id, await auth.issue_token(backchannel.ctx, who))
    finally:
        await backchannel.close()


async def test_a_revoked_token_loses_its_sockets_on_another_process(
    postgres: PostgresCluster, nats_url: str, processes: Processes, tmp_path: Path
) -> None:
    """Revoked through one webapp: the socket it opened through the other, on the edge
    process, closes; its unused ticket opens nothing; the same person's socket of another
    token stays and hears what follows."""
    storage = postgres_storage(postgres, tmp_path, ms_shards=1)
    team = (await populate(storage, {"vale": ["ann", "bob"]}))["vale"]
    ann, bob = team.people.values()
    ann_again = await another_token(storage, team, ann)
    common = ("--nats", nats_url, "--database-url", str(storage.database_url), "--no-rate-limits")
    revoking, connecting = (processes.start("--role", "webapp", *common) for _ in range(2))
    edge = processes.start("--role", "edge", *common)
    for server in (revoking, connecting, edge):
        await processes.ready(server)

    async with httpx.AsyncClient(timeout=WAIT) as http:
        team.general = await general_channel(http, connecting.url, bob)
        revoked, _ = await open_socket(await rtm_url(http, connecting.url, ann))
        unused = await rtm_url(http, connecting.url, ann)
        kept = Listener(*await open_socket(await rtm_url(http, connecting.url, ann_again)))

        await call(http, revoking.url, ann.token, "auth.revoke")

        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(WAIT):
                while True:
                    await revoked.recv()
        assert (revoked.close_code, revoked.close_reason) == (1008, "token_revoked")
        with pytest.raises(InvalidStatus) as refused:
            await connect(unused, open_timeout=WAIT)
        assert refused.value.response.status_code == 401
        await kept.until(await post(http, connecting.url, bob, team.general, "still heard"))
        await kept.connection.close()
