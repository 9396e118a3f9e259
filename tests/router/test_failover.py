"""`admin failover`: a PostgreSQL shard's streaming replica promoted while people post to it.
No acknowledged post is lost, the other shard never notices, and every process follows the
new shard map without a restart. Bad input is one clear error that changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from backchannel.app import Backchannel
from backchannel.config import StorageSettings
from backchannel.errors import InvalidArgument, NotFound, StorageUnavailable
from backchannel.models import DbShard
from backchannel.ops.failover import failover, set_replica
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.messaging import history, messages
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.conftest import opened
from tests.support.cli import assert_one_line_error, run_cli
from tests.support.postgres import PostgresCluster

HANG_GUARD = 120.0  # only so that a broken failover fails the test instead of hanging it
AFTER = 3  # posts each poster gets acknowledged once the failover is done


@dataclass
class Replicated:
    primary: PostgresCluster
    replica: PostgresCluster
    database: str  # shard-1's database, on both

    def replica_url(self) -> str:
        return self.replica.url(self.database)


@pytest.fixture
def replicated() -> Iterator[Replicated]:
    """A server of its own for shard-1, with a synchronous streaming replica."""
    primary = PostgresCluster(durable=True)
    primary.start()
    try:
        database = primary.create_database("shard").rsplit("/", 1)[1]
        replica = primary.start_replica()
        try:
            yield Replicated(primary, replica, database)
        finally:
            replica.stop()
    finally:
        primary.stop()


@pytest.fixture
def storage(postgres: PostgresCluster, replicated: Replicated, tmp_path: Path) -> StorageSettings:
    """The main DB and shard-0 on the shared server; shard-1 on the replicated one."""
    return StorageSettings(
        data_dir=tmp_path / "data",
        database_url=postgres.create_database("main"),
        shard_urls=(postgres.create_database("shard"), replicated.primary.url(replicated.database)),
        pool_timeout=2.0,
    )


@dataclass
class Room:
    """A channel of one person's own, on some shard."""

    workspace_id: str
    user_id: str
    channel_id: str


async def _room(ctx: ServiceContext, domain: str) -> Room:
    workspace = await workspaces.create_workspace(ctx, name=domain.title(), domain=domain)
    person = await users.create_user(
        ctx, workspace=workspace.id, email=f"pat@{domain}.test", name="Pat"
    )
    channel = await channels.create_channel(
        ctx, workspace_id=workspace.id, creator=person.user.id, name="ops"
    )
    return Room(workspace.id, person.user.id, channel.id)


@dataclass
class Poster:
    """Posts to a room, one message after another, until told to stop."""

    ctx: ServiceContext
    room: Room
    name: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # ts -> text
    refused: int = 0  # posts that failed: never acknowledged, so free to be lost
    after: int = 0  # acknowledged since the failover finished
    failed_over: bool = False
    under_way: asyncio.Event = field(default_factory=asyncio.Event)  # one post acknowledged

    async def run(self, stop: asyncio.Event) -> None:
        sent = 0
        while not (stop.is_set() and self.after >= AFTER):
            sent += 1
            text = f"{self.name} {sent}"
            try:
                message = await messages.post_message(
                    self.ctx,
                    workspace_id=self.room.workspace_id,
                    user_id=self.room.user_id,
                    channel_id=self.room.channel_id,
                    text=text,
                )
            except StorageUnavailable:
                self.refused += 1
                await asyncio.sleep(0.01)  # the shard is switching: give it a moment
                continue
            self.acknowledged[message.ts] = text
            self.under_way.set()
            if self.failed_over:
                self.after += 1


async def _history(ctx: ServiceContext, room: Room) -> dict[str, str]:
    page = await history.channel_history(
        ctx,
        workspace_id=room.workspace_id,
        user_id=room.user_id,
        channel_id=room.channel_id,
        limit=1000,
    )
    assert not page.has_more
    return {m.ts: m.text for m in page.messages}


async def _until_version(backchannel: Backchannel, version: int) -> None:
    """Until the process's watch has loaded the shard map at `version` (or newer)."""
    while True:
        if backchannel.ctx.router.shard_map.current.version >= version:
            return
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _second_process(storage: StorageSettings) -> AsyncIterator[Backchannel]:
    """Another process on the same deployment, following the shard map as `serve` does."""
    async with opened(storage) as other, other.background(upkeep=False):
        yield other


async def test_failover_under_load_loses_no_acknowledged_post(
    storage: StorageSettings, replicated: Replicated
) -> None:
    async with opened(storage) as first, _second_process(storage) as second:
        ctx = first.ctx
        north, south = await _room(ctx, "north"), await _room(ctx, "south")
        placed = {
            a.workspace_id: a.db_shard for a in ctx.router.shard_map.current.by_keyspace.values()
        }
        assert (placed[north.workspace_id], placed[south.workspace_id]) == ("shard-0", "shard-1")
        await set_replica(ctx, "shard-1", replicated.replica_url())
        await _refused_while_the_replica_would_hold_commits(ctx, replicated.replica)
        shard_0 = ctx.router.shard_map.current.db_shards["shard-0"]

        posters = [
            Poster(ctx, north, "north"),
            Poster(ctx, south, "south-a"),
            Poster(ctx, south, "south-b"),
            Poster(second.ctx, south, "south-c"),  # on the other process
        ]
        stop = asyncio.Event()
        async with asyncio.timeout(HANG_GUARD), asyncio.TaskGroup() as posting:
            for poster in posters:
                posting.create_task(poster.run(stop))
            for poster in posters:  # every poster is under way before the failover
                await poster.under_way.wait()
            done = await failover(ctx, "shard-1")
            for poster in posters:
                poster.failed_over = True
            stop.set()
            await _until_version(second, done.version)

        promoted = DbShard("shard-1", replicated.replica_url(), "primary", None)
        assert done.shard == promoted and done.fenced
        assert ctx.router.shard_map.current.db_shards == {"shard-0": shard_0, "shard-1": promoted}
        assert second.ctx.router.shard_map.current.db_shards["shard-1"] == promoted
        assert replicated.replica.sql("SELECT pg_is_in_recovery()") == "f"
        north_poster, *south_posters = posters
        assert north_poster.refused == 0  # the other shard never noticed
        assert (await _history(ctx, north)).items() >= north_poster.acknowledged.items()
        acknowledged = {ts: text for p in south_posters for ts, text in p.acknowledged.items()}
        for process in (first, second):
            assert (await _history(process.ctx, south)).items() >= acknowledged.items()


async def _refused_while_the_replica_would_hold_commits(
    ctx: ServiceContext, replica: PostgresCluster
) -> None:
    """A replica set to commit synchronously, with no standby of its own, is refused: once
    promoted it would hold every commit."""
    version = (await ctx.router.shard_map.refresh()).version
    replica.reconfigure("synchronous_standby_names", "*")
    with pytest.raises(InvalidArgument, match="would hold every commit"):
        await failover(ctx, "shard-1")
    replica.reconfigure("synchronous_standby_names", None)
    assert (await ctx.router.shard_map.refresh()).version == version


async def test_failover_refuses_bad_input_and_changes_nothing(
    ctx: ServiceContext, backend: str
) -> None:
    version = (await ctx.router.shard_map.refresh()).version
    with pytest.raises(NotFound, match="no shard named 'shard-9'"):
        await failover(ctx, "shard-9")
    expected = "is a SQLite file" if backend == "sqlite" else "shard shard-0 has no replica"
    with pytest.raises(InvalidArgument, match=expected):
        await failover(ctx, "shard-0")
    assert (await ctx.router.shard_map.refresh()).version == version


async def test_set_replica_refuses_what_is_not_a_replica(
    ctx: ServiceContext, backend: str, postgres: PostgresCluster
) -> None:
    version = (await ctx.router.shard_map.refresh()).version
    shard_1 = ctx.router.shard_map.current.db_shards["shard-1"].url
    not_a_replica = shard_1 if backend == "postgresql" else postgres.create_database("shard")
    expected = "is a SQLite file" if backend == "sqlite" else "is not a replica"
    with pytest.raises(InvalidArgument, match=expected):
        await set_replica(ctx, "shard-1", not_a_replica)
    with pytest.raises(NotFound, match="no shard named"):
        await set_replica(ctx, "shard-9", not_a_replica)
    assert (await ctx.router.shard_map.refresh()).version == version


@pytest.mark.slow  # CLI processes
def test_admin_failover_without_a_replica_is_one_error_line(postgres: PostgresCluster) -> None:
    secret = "not-shown-pw"
    main, *shards = (
        postgres.create_database(kind).replace("postgres@", f"postgres:{secret}@")
        for kind in ("main", "shard", "shard")
    )
    storage = ["--database-url", main, *[arg for url in shards for arg in ("--shard-url", url)]]
    assert run_cli("db", "migrate", *storage).returncode == 0
    before = _shard_map(storage)

    failed = run_cli("admin", "failover", "shard-1", *storage)
    assert_one_line_error(failed, "shard shard-1 has no replica", "admin set-replica")
    refused = run_cli("admin", "set-replica", "shard-1", shards[1], *storage)  # its primary
    assert_one_line_error(refused, "is not a replica")
    assert secret not in refused.stderr
    assert _shard_map(storage) == before


def _shard_map(storage: list[str]) -> tuple[int, list[tuple[str, str, str | None]]]:
    shown = json.loads(run_cli("admin", "shards", "--json", *storage).stdout)
    shards = [(s["name"], s["url"], s["replica_url"]) for s in shown["db_shards"]]
    return shown["version"], shards


async def test_with_replica_reads_history_stays_readable_while_the_primary_is_down(
    storage: StorageSettings, replicated: Replicated
) -> None:
    """`replica_reads`: a conversation's history is read from the shard's replica. With the
    primary down, posting fails (503) but reading goes on; without the setting, it fails."""
    async with opened(replace(storage, replica_reads=True)) as deployment:
        ctx = deployment.ctx
        await _room(ctx, "first")  # shard-0
        room = await _room(ctx, "second")  # shard-1, the replicated one
        await set_replica(ctx, "shard-1", replicated.replica_url())
        posted = await messages.post_message(
            ctx,
            workspace_id=room.workspace_id,
            user_id=room.user_id,
            channel_id=room.channel_id,
            text="kept",
        )
        async with opened(storage) as primary_only:  # the same deployment, no replica reads
            replicated.primary.halt()
            try:
                async with asyncio.timeout(HANG_GUARD):  # the replica replays it soon after
                    seen = await _history(ctx, room)
                    while posted.ts not in seen:
                        await asyncio.sleep(0.01)
                        seen = await _history(ctx, room)
                with pytest.raises(StorageUnavailable):
                    await _history(primary_only.ctx, room)
                with pytest.raises(StorageUnavailable):
                    await messages.post_message(
                        ctx,
                        workspace_id=room.workspace_id,
                        user_id=room.user_id,
                        channel_id=room.channel_id,
                        text="refused",
                    )
            finally:
                replicated.primary.resume()
