"""A shared channel across real processes: two PostgreSQL shards, two edges, two webapps,
NATS between them (docs/organisations.md, Events across shards).

An organisation's two workspaces sit on different DB shards and different message-server
shards; a third workspace, of no organisation, shares nothing. Every event of the shared
channel reaches every member on both edges, each once, in order, and after a disconnect
the side that left hears and reaches nothing more.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.services.people import users
from backchannel.services.tenancy import organisations, workspaces
from tests.cli.test_realtime_processes import (
    WAIT,
    Listener,
    Person,
    call,
    general_channel,
    open_socket,
    post,
    postgres_storage,
    rtm_url,
    where,
)
from tests.support.cli import Processes
from tests.support.postgres import PostgresCluster

PEOPLE = {"north": ["ann", "arlo"], "south": ["ben", "bea"], "west": ["wes"]}


async def populate(storage: StorageSettings) -> tuple[dict[str, dict[str, Person]], dict[str, str]]:
    """north and south in one organisation (ann administers it), west on its own; the
    people of each, and each workspace's id."""
    backchannel = await open_backchannel(Settings(storage=storage))
    ctx = backchannel.ctx
    try:
        org = await workspaces.create_org(ctx, name="Polar")
        people: dict[str, dict[str, Person]] = {}
        ids: dict[str, str] = {}
        for domain, names in PEOPLE.items():
            org_id = org.id if domain != "west" else None
            made = await workspaces.create_workspace(
                ctx, name=domain.title(), domain=domain, org_id=org_id
            )
            ids[domain] = made.id
            people[domain] = {}
            for name in names:
                new = await users.create_user(
                    ctx, workspace=domain, email=f"{name}@{domain}.test", name=name.title()
                )
                people[domain][name] = Person(name, new.user.id, new.token)
        await organisations.make_org_admin(
            ctx, org_id=org.id, user_id=people["north"]["ann"].user_id
        )
        placed = {
            a.workspace_id: (a.db_shard, a.ms_shard)
            for a in (await ctx.router.shard_map.refresh()).by_keyspace.values()
        }
    finally:
        await backchannel.close()
    north, south = placed[ids["north"]], placed[ids["south"]]
    assert north[0] != south[0] and north[1] != south[1], placed  # other DB and edge shards
    return people, ids


async def test_a_shared_channel_across_shards_edges_and_processes(
    postgres: PostgresCluster,
    nats_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    storage = postgres_storage(postgres, tmp_path, ms_shards=2)
    people, ids = await populate(storage)
    ann = people["north"]["ann"]

    common = ("--nats", nats_url, "--database-url", str(storage.database_url), "--no-rate-limits")
    servers = [processes.start("--role", "webapp", *common) for _ in range(2)]
    servers += [processes.start("--role", "edge", "--ms-shard", f"ms-{n}", *common) for n in (0, 1)]
    for server in servers:
        await processes.ready(server)
    webapps = [servers[0].url, servers[1].url]

    async with httpx.AsyncClient(timeout=WAIT) as http:
        channel = (await call(http, webapps[0], ann.token, "conversations.create", name="polar"))[
            "channel"
        ]["id"]
        await call(
            http,
            webapps[1],
            ann.token,
            "admin.conversations.setTeams",
            channel_id=channel,
            target_team_ids=ids["south"],
        )
        members = [*people["north"].values(), *people["south"].values()]
        for number, person in enumerate(members):
            if person is not ann:
                await call(
                    http, webapps[number % 2], person.token, "conversations.join", channel=channel
                )

        # Everyone connects through either webapp; each side lands on its own edge.
        listeners: dict[str, Listener] = {}
        edges: set[tuple[str, str]] = set()
        for number, person in enumerate([*members, people["west"]["wes"]]):
            url = await rtm_url(http, webapps[number % 2], person)
            edges.add(where(url))
            listeners[person.name] = Listener(*await open_socket(url))
        assert len(edges) == 2

        async def converse(speaker: Person, count: int) -> list[str]:
            return [
                await post(http, webapps[n % 2], speaker, channel, f"{speaker.name} {n}")
                for n in range(count)
            ]

        said = await asyncio.gather(*(converse(person, 10) for person in members))
        posted = sorted(ts for ts_list in said for ts in ts_list)  # ts order is the log's order
        await asyncio.gather(*(listeners[p.name].until(posted[-1]) for p in members))
        read_before_the_disconnect = {name: len(lis.frames) for name, lis in listeners.items()}
        for person in members:
            heard = [m for m in listeners[person.name].messages if m["channel"] == channel]
            assert [m["ts"] for m in heard] == posted, person.name  # each once, in order
        south_says = {m["text"]: m for m in listeners["ann"].messages}["ben 0"]
        assert (south_says["team"], south_says["user_team"]) == (ids["south"], ids["south"])

        # The disconnect: from now on the south side neither hears nor reaches the channel.
        await call(
            http,
            webapps[0],
            ann.token,
            "admin.conversations.disconnectShared",
            channel_id=channel,
            leaving_team_ids=ids["south"],
        )
        after = await post(http, webapps[1], ann, channel, "north only")
        await listeners["arlo"].until(after)
        refused = await http.post(
            f"{webapps[0]}/api/conversations.history",
            data={"channel": channel},
            headers={"Authorization": f"Bearer {people['south']['ben'].token}"},
        )
        assert refused.json()["error"] == "channel_not_found"
        # Copies are appended to the south's log before a post is answered: a message
        # posted in the south now comes after any copy on the south's sockets.
        ben = people["south"]["ben"]
        south_last = await post(
            http, webapps[0], ben, await general_channel(http, webapps[0], ben), "south only"
        )
        for name in ("ben", "bea"):
            await listeners[name].until(south_last)
            later = listeners[name].frames[read_before_the_disconnect[name] :]
            assert not any("north only" in raw for raw in later), name
            assert any('"member_left_channel"' in raw for raw in later), name
        # west, in no organisation, heard nothing of it at all.
        wes = people["west"]["wes"]
        west_last = await post(
            http, webapps[0], wes, await general_channel(http, webapps[0], wes), "west only"
        )
        await listeners["wes"].until(west_last)
        assert not any(channel in raw for raw in listeners["wes"].frames)
    for listener in listeners.values():
        await listener.connection.close()
