"""A shard database as operators see it: its size, its replicas, whether it is empty
(ops/shards.py: `admin shards`, `admin add-shard`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, literal, select, text

from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import shard_metadata


@dataclass(frozen=True)
class Replication:
    """What a PostgreSQL primary says of the replicas streaming from it."""

    replicas: int
    lag_seconds: float | None  # the largest replay lag; None once they have caught up
    lag_bytes: int | None  # WAL not yet replayed by the slowest; None if not visible to us


async def size_txn(conn: Conn) -> int:
    """Bytes of data: SQLite's pages (the WAL not counted), PostgreSQL's database size."""
    if conn.dialect.name == "sqlite":
        pages = await conn.scalar(text("PRAGMA page_count"))
        return int(pages) * int(await conn.scalar(text("PRAGMA page_size")))
    return int(await conn.scalar(text("SELECT pg_database_size(current_database())")))


_REPLICATION = text(
    "SELECT count(*) AS replicas, max(EXTRACT(EPOCH FROM replay_lag)) AS lag_seconds, "
    # a standby has no current WAL position of its own to compare with
    "max(CASE WHEN pg_is_in_recovery() THEN NULL "
    "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) END) AS lag_bytes "
    "FROM pg_stat_replication"
)


async def replication_txn(conn: Conn) -> Replication | None:
    if conn.dialect.name == "sqlite":
        return None
    row = (await conn.execute(_REPLICATION)).one()
    if not row.replicas:
        return None
    return Replication(
        int(row.replicas),
        None if row.lag_seconds is None else float(row.lag_seconds),
        None if row.lag_bytes is None else int(row.lag_bytes),
    )


async def table_names_txn(conn: Conn) -> set[str]:
    return set(await conn.run_sync(_table_names))


def _table_names(sync_conn: Connection) -> list[str]:
    return inspect(sync_conn).get_table_names()


async def first_table_with_rows_txn(conn: Conn, tables: Iterable[str]) -> str | None:
    """The first (by name) of these shard tables that holds a row; None if all are empty."""
    for table in sorted(set(tables) & set(shard_metadata.tables)):
        found = select(literal(1)).select_from(shard_metadata.tables[table]).limit(1)
        if await conn.scalar(found) is not None:
            return table
    return None
