"""Database URLs and engines: the one place that knows SQLite from PostgreSQL.

An embedded shard is a SQLite file in WAL mode with a single-connection writer pool (SQLite
has one writer at a time; queueing in-process beats spinning on the file lock) and a small
reader pool. A PostgreSQL shard is one asyncpg pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backchannel.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def parse_database_url(url: str, base_dir: Path | None = None) -> URL:
    """Normalise a user-given URL to the async driver SQLAlchemy needs.

    Accepts postgresql://, postgres://, postgresql+asyncpg://, sqlite:///path and
    sqlite+aiosqlite:///path; a relative SQLite path is taken relative to base_dir.
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
        return parsed.set(drivername="sqlite+aiosqlite", database=str(path))
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


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


@dataclass
class Engines:
    """The engines of one database: a writer and a reader (the same for PostgreSQL)."""

    url: URL
    writer: AsyncEngine
    reader: AsyncEngine

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def create_engines(url: URL, *, pool_size: int = 5, pool_timeout: float = 5.0) -> Engines:
    if is_sqlite(url):
        writer = _sqlite_engine(url, pool_size=1, pool_timeout=pool_timeout, immediate=True)
        reader = _sqlite_engine(
            url, pool_size=pool_size, pool_timeout=pool_timeout, immediate=False
        )
        return Engines(url, writer, reader)
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={
            "timeout": pool_timeout,
            "server_settings": {"application_name": "backchannel"},
        },
    )
    return Engines(url, engine, engine)


def _sqlite_engine(
    url: URL, *, pool_size: int, pool_timeout: float, immediate: bool
) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions defer locking).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged commit survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front, so two processes never deadlock upgrading
        # a read lock; readers never block anyone in WAL mode.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
