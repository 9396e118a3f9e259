"""The topology: versioned, changed only by compare-and-set, watched by every process. The
same tests on both stores: the main DB (SQLite, PostgreSQL) and a real etcd."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import ServerSettings, Settings, StorageSettings
from backchannel.errors import InvalidArgument, NotFound, StorageUnavailable
from backchannel.models import DbShard, EdgeInfo, ShardMap, WorkspaceAssignment
from backchannel.models.topology import PutAssignment, PutDbShard, PutMsShard
from backchannel.router.topology import TopologyConflict
from backchannel.router.topology_etcd import EtcdTopology
from backchannel.services.tenancy import workspaces
from tests.support.postgres import PostgresCluster

STORES = ["main-sqlite", "main-postgresql", "etcd"]


@pytest.fixture(params=STORES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> StorageSettings:
    data_dir = tmp_path / "data"
    if request.param == "main-postgresql":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return StorageSettings(
            data_dir=data_dir,
            database_url=cluster.create_database("main"),
            shard_urls=tuple(cluster.create_database("shard") for _ in range(2)),
        )
    topology = request.getfixturevalue("etcd_topology") if request.param == "etcd" else None
    return StorageSettings(data_dir=data_dir, shards=2, topology=topology)


async def open_one(storage: StorageSettings) -> Backchannel:
    return await open_backchannel(Settings(storage, ServerSettings(rate_limits=False)))


@pytest.fixture
async def first(storage: StorageSettings) -> AsyncIterator[Backchannel]:
    backchannel = await open_one(storage)
    try:
        yield backchannel
    finally:
        await backchannel.close()


@pytest.fixture
async def second(first: Backchannel, storage: StorageSettings) -> AsyncIterator[Backchannel]:
    """Another process's view of the same deployment (its own router and pools)."""
    backchannel = await open_backchannel(first.settings, create=False)
    try:
        yield backchannel
    finally:
        await backchannel.close()


async def test_a_change_commits_only_at_the_version_it_was_read_at(first: Backchannel) -> None:
    store = first.ctx.router.topology
    version = await store.version()
    assert version >= 1  # the deployment's shards were registered by one change
    assert await store.commit(version, [PutMsShard("ms-9")], time.time()) == version + 1
    with pytest.raises(TopologyConflict):
        await store.commit(version, [PutMsShard("ms-8")], time.time())
    loaded = await store.load()
    assert loaded.version == version + 1
    assert "ms-9" in loaded.ms_shards and "ms-8" not in loaded.ms_shards


async def test_concurrent_creations_from_two_processes_never_share_a_keyspace(
    first: Backchannel, second: Backchannel
) -> None:
    before = await first.ctx.router.topology.version()
    made = await asyncio.gather(
        *(
            workspaces.create_workspace(
                (first if n % 2 else second).ctx, name=f"Team {n}", domain=f"team{n}"
            )
            for n in range(8)
        )
    )
    assert sorted(w.keyspace for w in made) == list(range(1, 9))
    shard_map = await first.ctx.router.topology.load()
    assert {a.workspace_id for a in shard_map.by_keyspace.values()} == {w.id for w in made}
    # One version per creation: a creation that lost a race re-planned, it did not commit twice.
    assert shard_map.version == before + 8
    load = sorted(a.db_shard for a in shard_map.by_keyspace.values())
    assert load == ["shard-0"] * 4 + ["shard-1"] * 4


async def test_another_process_sees_a_change_by_its_watch(
    first: Backchannel, second: Backchannel
) -> None:
    watch = asyncio.create_task(second.ctx.router.shard_map.watch())
    try:
        await wait_for_version(second, await first.ctx.router.topology.version())
        started = time.monotonic()
        made = await workspaces.create_workspace(first.ctx, name="Seen", domain="seen")
        # No lookup and no refresh by the test: only the watch can bring it.
        while made.keyspace not in second.ctx.router.shard_map.current.by_keyspace:
            assert time.monotonic() - started < 30, "the watch never brought the change"
            await asyncio.sleep(0.005)
        print(f"seen by the other process after {time.monotonic() - started:.3f} s")
    finally:
        watch.cancel()


async def wait_for_version(backchannel: Backchannel, version: int) -> None:
    for _ in range(3000):  # bounded, no timing assertion
        if backchannel.ctx.router.shard_map.current.version >= version:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the watch never reached version {version}")


async def test_a_refused_plan_changes_nothing(first: Backchannel) -> None:
    router = first.ctx.router
    version = await router.topology.version()

    def refuse(current: ShardMap) -> list[PutDbShard]:
        raise NotFound("no such shard")

    with pytest.raises(NotFound):
        await router.change_topology(refuse)
    unknown = WorkspaceAssignment("T00099ABCDE", 99, "shard-9", "ms-0")
    with pytest.raises(InvalidArgument, match="shard-9"):
        await router.change_topology(lambda _: [PutAssignment(unknown)])
    assert await router.topology.version() == version


async def test_shard_roles_and_replicas_are_recorded(
    first: Backchannel, second: Backchannel
) -> None:
    shard = first.ctx.router.shard_map.current.db_shards["shard-1"]
    replica = DbShard(shard.name, shard.url, "primary", "postgresql://replica.test/shard")
    await first.ctx.router.change_topology(lambda _: [PutDbShard(replica)])
    assert (await second.ctx.router.shard_map.refresh()).db_shards["shard-1"] == replica


async def test_the_edge_registry(first: Backchannel) -> None:
    store = first.ctx.router.topology
    now = time.time()
    old = EdgeInfo("ws://127.0.0.1:9001", None, now - 100, now - 100, 2.0)
    live = EdgeInfo("ws://127.0.0.1:9002", frozenset({"ms-1"}), now, now, 2.0)
    for edge in (old, live):
        await store.put_edge(edge)
    assert await store.live_edges(now, 5) == [live]
    await store.forget_edges(silent_since=now - 50)
    await store.delete_edge(live.url, started=now - 1)  # another start's: kept
    assert await store.live_edges(now, 5) == [live]
    await store.delete_edge(live.url, started=now)
    assert await store.live_edges(now, 5) == []
    await store.put_edge(old)
    assert [e.url for e in await store.live_edges(now - 99, 5)] == [old.url]


async def test_etcd_unreachable_is_one_clear_error(tmp_path: Path) -> None:
    store = EtcdTopology("etcd://127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StorageUnavailable, match=re.escape("etcd://127.0.0.1:1/nowhere")):
            await store.version()
    finally:
        await store.close()
