"""Main DB: shards, message-server shards and the versioned shard map."""

from __future__ import annotations

from sqlalchemy import Column, Table, func, insert, select, update

from backchannel.errors import NotFound
from backchannel.models import DbShard, ShardMap, WorkspaceAssignment
from backchannel.storage.connection import Conn
from backchannel.storage.schema import db_shards, ms_shards, topology_versions, workspaces

SHARD_MAP = "shard_map"


async def shard_map_version_txn(conn: Conn) -> int:
    version = await conn.scalar(
        select(topology_versions.c.version).where(topology_versions.c.name == SHARD_MAP)
    )
    return int(version or 0)


async def bump_shard_map_version_txn(conn: Conn) -> int:
    """Every change of the shard map goes with this, in the same transaction."""
    current = await shard_map_version_txn(conn)
    if current == 0:
        await conn.execute(insert(topology_versions).values(name=SHARD_MAP, version=1))
        return 1
    await conn.execute(
        update(topology_versions)
        .where(topology_versions.c.name == SHARD_MAP)
        .values(version=topology_versions.c.version + 1)
    )
    return current + 1


async def load_shard_map_txn(conn: Conn) -> ShardMap:
    version = await shard_map_version_txn(conn)
    shards = {
        row.name: DbShard(row.name, row.url, row.role)
        for row in await conn.execute(select(db_shards).order_by(db_shards.c.name))
    }
    ms = tuple(await conn.scalars(select(ms_shards.c.name).order_by(ms_shards.c.name)))
    assignments = {
        row.keyspace: WorkspaceAssignment(row.id, row.keyspace, row.db_shard, row.ms_shard)
        for row in await conn.execute(
            select(
                workspaces.c.id, workspaces.c.keyspace, workspaces.c.db_shard, workspaces.c.ms_shard
            )
        )
    }
    return ShardMap(version=version, db_shards=shards, ms_shards=ms, by_keyspace=assignments)


async def insert_db_shard_txn(conn: Conn, name: str, url: str, now: float) -> None:
    await conn.execute(insert(db_shards).values(name=name, url=url, role="primary", created=now))
    await bump_shard_map_version_txn(conn)


async def insert_ms_shard_txn(conn: Conn, name: str, now: float) -> None:
    await conn.execute(insert(ms_shards).values(name=name, created=now))
    await bump_shard_map_version_txn(conn)


async def ms_shard_names_txn(conn: Conn) -> set[str]:
    return set(await conn.scalars(select(ms_shards.c.name)))


async def least_loaded_shards_txn(conn: Conn) -> tuple[str, str]:
    """The DB shard and the message-server shard with the fewest workspaces (ties: by name)."""
    return (
        await _least_loaded(conn, db_shards, workspaces.c.db_shard),
        await _least_loaded(conn, ms_shards, workspaces.c.ms_shard),
    )


async def _least_loaded(conn: Conn, shards: Table, assigned: Column[str]) -> str:
    load = func.count(workspaces.c.id)
    query = (
        select(shards.c.name)
        .select_from(shards.outerjoin(workspaces, assigned == shards.c.name))
        .group_by(shards.c.name)
        .order_by(load, shards.c.name)
        .limit(1)
    )
    name = await conn.scalar(query)
    if name is None:
        raise NotFound(f"no {shards.name} are registered: run `backchannel db migrate`")
    return str(name)
