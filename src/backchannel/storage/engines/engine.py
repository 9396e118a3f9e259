"""Database URLs and engines: the one place that knows SQLite from PostgreSQL.

An embedded shard is a SQLite file in WAL mode, run by SqliteEngines; a PostgreSQL shard is
one asyncpg pool, run by PostgresEngines. Both hand out transactions as `Conn`s.

An engine's errors never carry the values a statement was given or refused for (message
text among them): they name the statement and the database's reason, and that is what a
log of a failed write shows (docs/configuration.md, Logs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from backchannel.errors import ConfigError
from backchannel.storage.engines.connection import Conn, Engines, PoolUse
from backchannel.storage.json_values import json_dumps, json_loads

T = TypeVar("T")


def parse_database_url(url: str, base_dir: Path | None = None) -> URL:
    """Normalise a user-given URL to the async driver SQLAlchemy needs.

    Accepts postgresql://, postgres://, postgresql+asyncpg://, sqlite:///path (any SQLite
    driver name is read as Python's own sqlite3); a relative SQLite path is taken relative
    to base_dir.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"bad database URL {url!r}: expected postgresql://user@host/db or sqlite:///path"
        ) from None
    scheme, _, driver = parsed.drivername.partition("+")
    if scheme in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg", "psycopg2", "psycopg"):
            raise ConfigError(f"unsupported PostgreSQL driver in {redact(parsed)}: use asyncpg")
        if not parsed.database:
            raise ConfigError(f"database URL {redact(parsed)} names no database")
        return parsed.set(drivername="postgresql+asyncpg")
    if scheme == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigError(f"SQLite URL {url!r} must name a file: sqlite:///path/to/file")
        path = Path(parsed.database)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return parsed.set(drivername="sqlite+pysqlite", database=str(path))
    raise ConfigError(
        f"bad database URL {redact(parsed)}: expected postgresql://user@host/db or sqlite:///path"
    )


def redact(url: URL | str) -> str:
    """A URL fit for logs and error messages: never the password."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<unparseable URL>"
    return url.render_as_string(hide_password=True)


def asyncpg_dsn(url: URL) -> str:
    """A PostgreSQL URL as asyncpg's own connect() takes it (password included: never log
    it), for the few connections made outside a pool (LISTEN, replication statements)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


class PostgresEngines(Engines):
    """One asyncpg pool; reads and writes share it."""

    def __init__(self, url: URL, engine: AsyncEngine) -> None:
        self.url = url
        self._engine = engine

    @property
    def sync_engine(self) -> Engine:
        return self._engine.sync_engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        async with self._engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        async with self._engine.connect() as conn:
            transaction = await conn.begin()
            try:
                yield conn
            finally:
                await transaction.rollback()  # a read keeps nothing it may have written

    def use(self) -> PoolUse:
        pool = self._engine.sync_engine.pool
        if not isinstance(pool, QueuePool):  # create_engines always makes a QueuePool
            return PoolUse(0, 0)
        return PoolUse(pool.checkedout(), pool.size())

    async def dispose(self) -> None:
        await self._engine.dispose()


def create_engines(url: URL, *, pool_size: int = 5, pool_timeout: float = 5.0) -> Engines:
    from backchannel.storage.engines.sqlite import SqliteEngines  # sqlite builds on this module

    if is_sqlite(url):
        return SqliteEngines(url, pool_size=pool_size, pool_timeout=pool_timeout)
    engine = create_async_engine(
        url,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={
            "timeout": pool_timeout,
            "server_settings": {"application_name": "backchannel"},
        },
    )
    event.listen(engine.sync_engine, "handle_error", _without_row_values)
    return PostgresEngines(url, engine)


def _without_row_values(context: ExceptionContext) -> None:
    # PostgreSQL's DETAIL quotes the row or key a statement was refused for ("Failing row
    # contains (...)"), and asyncpg's str() of its error adds it; the reason before it and
    # the constraint's name say what went wrong without the values.
    error: BaseException | None = context.original_exception
    while error is not None:
        if getattr(error, "detail", None) is not None:
            error.detail = None  # type: ignore[attr-defined]
        error = error.__cause__
