"""Database URLs and engines: the one place that knows SQLite from PostgreSQL.

An embedded shard is a SQLite file in WAL mode, run by SqliteEngines; a PostgreSQL shard is
one asyncpg pool, run by PostgresEngines. Both hand out transactions as `Conn`s.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from backchannel.errors import ConfigError
from backchannel.storage.connection import Conn, InlineConnection

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000


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


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


class Engines(ABC):
    """One database (the main DB or a shard): transactions to read and to write in."""

    url: URL

    @property
    @abstractmethod
    def sync_engine(self) -> Engine:
        """The underlying synchronous engine, for event hooks."""

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[Conn]:
        """A transaction on the primary, committed when the block exits without error."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Conn]:
        """A transaction for reading (on SQLite a snapshot; nothing it writes is kept)."""

    @abstractmethod
    async def dispose(self) -> None: ...


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
        async with self._engine.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self._engine.dispose()


class SqliteEngines(Engines):
    """A SQLite file in WAL mode: one writer connection, a few reader connections.

    Statements run inline (see storage/connection.py); taking the write lock (which may
    wait for another process) and committing (fsync) run in a worker thread. SQLite has one
    writer at a time, so writers queue on an asyncio lock instead of spinning on the file
    lock; readers never wait for anyone in WAL mode.
    """

    def __init__(self, url: URL, *, pool_size: int, pool_timeout: float) -> None:
        self.url = url
        self._engine = _sqlite_engine(url)
        self._timeout = pool_timeout
        self._write_lock = asyncio.Lock()
        self._writer: Connection | None = None
        self._readers: list[Connection] = []
        self._reader_slots = asyncio.Semaphore(pool_size)

    @property
    def sync_engine(self) -> Engine:
        return self._engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        try:
            await asyncio.wait_for(self._write_lock.acquire(), self._timeout)
        except TimeoutError:
            raise PoolTimeout(f"no SQLite writer within {self._timeout}s") from None
        try:
            if self._writer is None:
                self._writer = self._engine.connect()
                self._writer.info["immediate"] = True
            conn = self._writer
            transaction = await _in_thread(conn.begin)
            try:
                yield InlineConnection(conn)
            except BaseException:
                transaction.rollback()
                raise
            try:
                await _in_thread(transaction.commit)
            except BaseException:
                # A failed commit leaves the connection in doubt: closing it rolls back.
                self._writer = None
                conn.close()
                raise
        finally:
            self._write_lock.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        try:
            await asyncio.wait_for(self._reader_slots.acquire(), self._timeout)
        except TimeoutError:
            raise PoolTimeout(f"no SQLite reader within {self._timeout}s") from None
        conn = self._readers.pop() if self._readers else self._engine.connect()
        try:
            transaction = conn.begin()  # a deferred BEGIN: never waits
            try:
                yield InlineConnection(conn)
            finally:
                transaction.rollback()  # a read keeps nothing it may have written
        finally:
            self._readers.append(conn)
            self._reader_slots.release()

    async def dispose(self) -> None:
        for conn in [*self._readers, *([self._writer] if self._writer else [])]:
            conn.close()
        self._readers.clear()
        self._writer = None
        self._engine.dispose()


async def _in_thread(call: Callable[[], T]) -> T:
    """Run a blocking call in a worker thread; if cancelled, still wait for it to finish,
    so the connection is never used by two callers at once."""
    future = asyncio.get_running_loop().run_in_executor(None, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def create_engines(url: URL, *, pool_size: int = 5, pool_timeout: float = 5.0) -> Engines:
    if is_sqlite(url):
        return SqliteEngines(url, pool_size=pool_size, pool_timeout=pool_timeout)
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
    return PostgresEngines(url, engine)


def _sqlite_engine(url: URL) -> Engine:
    # The engines above keep their connections open themselves: no pool underneath.
    engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
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

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front, so two processes never deadlock upgrading
        # a read lock; readers never block anyone in WAL mode.
        connection.exec_driver_sql(
            "BEGIN IMMEDIATE" if connection.info.get("immediate") else "BEGIN"
        )

    return engine
