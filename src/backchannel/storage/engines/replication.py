"""PostgreSQL streaming replication: the statements `admin set-replica` and `admin failover`
send to a shard's primary and its replica (docs/router.md, Failover).

Each runs on a plain asyncpg connection of its own, outside the shard's pool: `pg_promote`
and `ALTER DATABASE` are operator statements, not a pooled transaction's, and the pool may
be pointing at a server that is down.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TypeAlias

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL

from backchannel.errors import BackchannelError, StorageUnavailable
from backchannel.storage.engines.engine import asyncpg_dsn, redact

Session: TypeAlias = asyncpg.Connection

# What a server that is down, unreachable or going away raises.
_UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError)


@contextlib.asynccontextmanager
async def session(url: URL, label: str, connect_seconds: float) -> AsyncIterator[Session]:
    """A connection to `url`. Failures name `label` and the URL without its password: an
    unreachable server is StorageUnavailable, a refused statement a BackchannelError."""
    where = f"{label} ({redact(url.set(drivername='postgresql'))})"  # as operators write it
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=connect_seconds)
    except (*_UNREACHABLE, asyncpg.PostgresError) as exc:
        raise StorageUnavailable(f"cannot reach {where}: {_reason(exc)}") from None
    try:
        yield conn
    except _UNREACHABLE as exc:
        raise StorageUnavailable(f"lost {where}: {_reason(exc)}") from None
    except asyncpg.PostgresError as exc:
        raise BackchannelError(f"{where} refused: {_reason(exc)}") from None
    finally:
        with contextlib.suppress(*_UNREACHABLE, asyncpg.PostgresError):
            await conn.close(timeout=connect_seconds)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def in_recovery(conn: Session) -> bool:
    """True on a standby (a replica), False on a primary."""
    return bool(await conn.fetchval("SELECT pg_is_in_recovery()"))


async def system_identifier(conn: Session) -> int:
    """The cluster's identity: a replica cloned from a primary shares it."""
    return int(await conn.fetchval("SELECT system_identifier FROM pg_control_system()"))


async def current_lsn(conn: Session) -> str:
    """The primary's current position in its write-ahead log."""
    return str(await conn.fetchval("SELECT pg_current_wal_lsn()::text"))


async def has_replayed(conn: Session, lsn: str) -> bool:
    """Whether the replica has applied the primary's log up to `lsn`."""
    found = await conn.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", lsn)
    return bool(found)


async def lacks_its_standby(conn: Session) -> bool:
    """Whether this server's commits, once it is a primary, would wait for a synchronous
    standby it does not have (`synchronous_standby_names` is copied by pg_basebackup)."""
    if not await conn.fetchval("SHOW synchronous_standby_names"):
        return False
    return not await conn.fetchval("SELECT count(*) FROM pg_stat_replication")


async def promote(conn: Session, wait_seconds: int) -> bool:
    """Promote the replica to a primary; True once it is one (needs superuser, or a grant
    of EXECUTE on pg_promote)."""
    return bool(await conn.fetchval("SELECT pg_promote(true, $1)", wait_seconds))


async def set_read_only(conn: Session, read_only: bool) -> None:
    """Make the connection's database refuse writes in new sessions (or accept them again).
    Per database: other databases on the same server are untouched."""
    name = await conn.fetchval("SELECT quote_ident(current_database())")
    # This session may have started read-only itself, and ALTER DATABASE is a write. It
    # commits locally: waiting for a replica that is stuck would hang the failover, which
    # waits for the replica's replay by itself.
    await conn.execute("SET default_transaction_read_only = off")
    await conn.execute("SET synchronous_commit = local")
    if read_only:
        await conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    else:
        await conn.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")


async def end_other_sessions(conn: Session) -> int:
    """Terminate every other session on the connection's database; how many. A transaction
    they had open is rolled back; one waiting for its commit to reach a replica ends with
    an error to its client, never an acknowledgement."""
    ended = await conn.fetchval(
        "SELECT count(*) FROM ("
        " SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended"
    )
    return int(ended)
