"""Main DB: the topology's tables (db_shards, ms_shards, keyspaces) and its version, for the
main DB's topology store (router/topology_main.py)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from backchannel.models import DbShard, ShardMap, WorkspaceAssignment
from backchannel.models.topology import (
    DropAssignment,
    PutAssignment,
    PutDbShard,
    PutMsShard,
    TopologyChange,
)
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import db_shards, keyspaces, ms_shards, topology_versions

SHARD_MAP = "shard_map"


async def shard_map_version_txn(conn: Conn) -> int:
    version = await conn.scalar(
        select(topology_versions.c.version).where(topology_versions.c.name == SHARD_MAP)
    )
    return int(version or 0)


async def advance_version_txn(conn: Conn, expected: int) -> bool:
    """Compare-and-set: the version becomes expected + 1 if it is still `expected`. Under
    READ COMMITTED a concurrent advance waits for the other to commit, then finds the
    version moved: exactly one of them wins."""
    if expected == 0:
        if await shard_map_version_txn(conn) != 0:
            return False
        # Two first changes at once: one insert fails on the primary key (a conflict).
        await conn.execute(insert(topology_versions).values(name=SHARD_MAP, version=1))
        return True
    advanced = await conn.execute(
        update(topology_versions)
        .where(topology_versions.c.name == SHARD_MAP, topology_versions.c.version == expected)
        .values(version=expected + 1)
    )
    return advanced.rowcount == 1


async def load_shard_map_txn(conn: Conn) -> ShardMap:
    version = await shard_map_version_txn(conn)
    shards = {
        row.name: DbShard(row.name, row.url, row.role, row.replica_url)
        for row in await conn.execute(select(db_shards).order_by(db_shards.c.name))
    }
    ms = tuple(await conn.scalars(select(ms_shards.c.name).order_by(ms_shards.c.name)))
    assignments = {
        row.keyspace: WorkspaceAssignment(
            row.workspace_id, row.keyspace, row.db_shard, row.ms_shard, row.state
        )
        for row in await conn.execute(select(keyspaces))
    }
    return ShardMap(version=version, db_shards=shards, ms_shards=ms, by_keyspace=assignments)


async def apply_change_txn(conn: Conn, change: TopologyChange, now: float) -> None:
    match change:
        case PutDbShard(shard):
            values = {"url": shard.url, "role": shard.role, "replica_url": shard.replica_url}
            updated = await conn.execute(
                update(db_shards).where(db_shards.c.name == shard.name).values(values)
            )
            if not updated.rowcount:
                await conn.execute(insert(db_shards).values(name=shard.name, created=now, **values))
        case PutMsShard(name):
            if await conn.scalar(select(ms_shards.c.name).where(ms_shards.c.name == name)) is None:
                await conn.execute(insert(ms_shards).values(name=name, created=now))
        case PutAssignment(a):
            values = {
                "workspace_id": a.workspace_id,
                "db_shard": a.db_shard,
                "ms_shard": a.ms_shard,
                "state": a.state,
            }
            updated = await conn.execute(
                update(keyspaces).where(keyspaces.c.keyspace == a.keyspace).values(values)
            )
            if not updated.rowcount:
                await conn.execute(insert(keyspaces).values(keyspace=a.keyspace, **values))
        case DropAssignment(keyspace):
            await conn.execute(delete(keyspaces).where(keyspaces.c.keyspace == keyspace))
