"""Operators' work on DB shards: how each one is doing (`admin shards`) and adding one
(`admin add-shard`). See docs/router.md, "Adding a shard"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from backchannel.config import StorageSettings
from backchannel.errors import AlreadyExists, BackchannelError, ConfigError, InvalidArgument
from backchannel.models import DbShard, ShardMap
from backchannel.models.topology import PutDbShard, TopologyChange
from backchannel.ops.deployment import Progress, schema_revision, upgrade_schema
from backchannel.router import AllShards, Shard
from backchannel.services.context import ServiceContext
from backchannel.storage import migrate
from backchannel.storage.engines import shards as store
from backchannel.storage.engines.connection import Engines
from backchannel.storage.engines.engine import create_engines, is_sqlite, parse_database_url, redact
from backchannel.storage.log.events import stream_state_txn

SHARD_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
DEFAULT_NAME = re.compile(r"shard-(\d+)")
# Filled by the migrations themselves (a fresh event log epoch): not a sign of data.
MADE_BY_MIGRATIONS = frozenset({"event_stream"})


# -- how a shard is doing ------------------------------------------------------------------


@dataclass(frozen=True)
class ShardStatus:
    size_bytes: int | None = None
    replication: store.Replication | None = None  # None: no replica streaming, or SQLite
    error: str | None = None  # why the shard could not be read; None when it answered


async def shard_status(ctx: ServiceContext, shard: DbShard) -> ShardStatus:
    """The shard's size and replication, or why it cannot be reached. Never raises for an
    unreachable shard, and never creates a SQLite file that has gone missing."""
    try:
        url = ctx.router.pools.engines_for(shard).url
        if is_sqlite(url) and not Path(str(url.database)).exists():
            return ShardStatus(error=f"shard {shard.name}'s file {url.database} is missing")
        async with ctx.router.read(Shard(shard.name)) as conn:
            return ShardStatus(await store.size_txn(conn), await store.replication_txn(conn))
    except BackchannelError as exc:
        return ShardStatus(error=" ".join(exc.message.split()))


# -- adding a shard ------------------------------------------------------------------------


async def add_shard(
    ctx: ServiceContext,
    storage: StorageSettings,
    url: str,
    *,
    name: str | None = None,
    progress: Progress | None = None,
) -> DbShard:
    """Register a new DB shard: an empty database (or one a failed add-shard left with the
    schema and no rows), brought to the newest schema, then recorded in the topology by
    compare-and-set. New workspaces may be placed on it from then on."""
    base_dir = storage.data_dir.resolve()
    database = parse_database_url(url, base_dir=base_dir)
    if name is not None and not SHARD_NAME.fullmatch(name):
        raise InvalidArgument(
            f"bad shard name {name!r}: expected lower-case letters, digits and hyphens, "
            "like shard-4"
        )
    main = ctx.router.main.url
    chosen = name or next_shard_name(ctx.router.shard_map.current)

    def plan(current: ShardMap) -> list[TopologyChange]:
        nonlocal chosen
        chosen = name or next_shard_name(current)
        _refuse_taken(current, chosen, url, main, base_dir)
        return [PutDbShard(DbShard(chosen, url))]

    plan(ctx.router.shard_map.current)  # refuse before touching the database
    label = f"shard {chosen}"
    engines = create_engines(database, pool_size=1, pool_timeout=storage.pool_timeout)
    try:
        await _check_unused(engines, label)
        await upgrade_schema(engines, "shard", label, progress)
        await _refuse_known_log(ctx, engines, label)
    finally:
        await engines.dispose()
    return (await ctx.router.change_topology(plan)).db_shards[chosen]


def next_shard_name(shard_map: ShardMap) -> str:
    numbers = [int(m[1]) for m in map(DEFAULT_NAME.fullmatch, shard_map.db_shards) if m]
    return f"shard-{max(numbers, default=-1) + 1}"


def _refuse_taken(shard_map: ShardMap, name: str, url: str, main: URL, base_dir: Path) -> None:
    if name in shard_map.db_shards:
        raise AlreadyExists(f"there is already a shard named {name}")
    database = parse_database_url(url, base_dir)
    if _same_database(database, main):
        raise AlreadyExists(f"{redact(url)} is the main database")
    for shard in shard_map.db_shards.values():
        for role, recorded in (("database", shard.url), ("replica", shard.replica_url)):
            if recorded and _same_database(database, parse_database_url(recorded, base_dir)):
                raise AlreadyExists(f"{redact(url)} is already shard {shard.name}'s {role}")


def _same_database(a: URL, b: URL) -> bool:
    """The same file, or the same database on the same server, by the names given (another
    name for the same server is caught later, by `_refuse_known_log`)."""
    if is_sqlite(a) or is_sqlite(b):
        return is_sqlite(a) and is_sqlite(b) and _path(a) == _path(b)
    return (a.host or "", a.port or 5432, a.database) == (b.host or "", b.port or 5432, b.database)


def _path(url: URL) -> Path:
    return Path(str(url.database)).resolve()


async def _check_unused(engines: Engines, label: str) -> None:
    """Refuse a database that holds anything but an empty Backchannel shard: tables of its
    own, another schema (a main DB), or any Backchannel row."""
    revision = await schema_revision(engines, label)  # one clear line if it cannot be reached
    where = f"{label} ({redact(engines.url)})"
    async with engines.read() as conn:
        tables = await store.table_names_txn(conn)
        if revision is None and tables - {"alembic_version"}:
            raise ConfigError(f"{where} is not empty ({_some(tables)}): give an empty database")
        if revision is not None and migrate.revision_distance("shard", revision) < 0:
            raise ConfigError(f"{where} holds another kind of database (schema {revision})")
        used = await store.first_table_with_rows_txn(conn, tables - MADE_BY_MIGRATIONS)
        if used is not None:
            raise ConfigError(f"{where} already holds Backchannel data (rows in {used})")


async def _refuse_known_log(ctx: ServiceContext, engines: Engines, label: str) -> None:
    """A shard already registered under another host name (or a copy of one) has the same
    event log epoch: each shard's is random, made by its first migration."""
    async with engines.read() as conn:
        epoch = (await stream_state_txn(conn)).epoch
    epochs = await ctx.router.scatter(AllShards(), lambda _, conn: stream_state_txn(conn))
    for name, state in epochs.items():
        if state.epoch == epoch:
            raise AlreadyExists(
                f"{label} ({redact(engines.url)}) is already shard {name}'s database, or a copy "
                "of it: its event log is the same"
            )


def _some(names: set[str], most: int = 3) -> str:
    listed = sorted(names)
    more = f" and {len(listed) - most} more" if len(listed) > most else ""
    return "tables " + ", ".join(listed[:most]) + more
