"""SQLite shards: statements inline, one writer, and group commit.

Statements run right on the event loop (see storage/engines/connection.py): a SQLite statement
takes microseconds. Only what may wait runs in a worker thread: taking the write lock
(another process may hold it) and committing (the fsync).

SQLite has one writer at a time, so writers queue on an asyncio lock. While some wait, a
finished writer does not commit: the next one continues the same transaction, each writer
inside its own SAVEPOINT (so one failing undoes only its own work), and the last of the
batch commits them all with one fsync. Every writer returns only after that commit: what a
caller sees acknowledged is on disk. See docs/storage.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from backchannel.storage.engines.connection import Conn, Engines, InlineConnection, PoolUse
from backchannel.storage.json_values import json_dumps, json_loads

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 10_000
MAX_BATCH = 64  # writers committed together at most: bounds how long the first one waits


@dataclass
class _Batch:
    transaction: RootTransaction
    done: asyncio.Future[None]
    writers: int = 0  # those that succeeded and wait for the commit
    closed: bool = field(default=False)


class SqliteEngines(Engines):
    """A SQLite file in WAL mode: one writer connection, a few reader connections."""

    def __init__(self, url: URL, *, pool_size: int, pool_timeout: float) -> None:
        self.url = url
        self._engine = _sqlite_engine(url)
        self._timeout = pool_timeout
        self._write_lock = asyncio.Lock()
        self._waiting = 0
        self._writer: Connection | None = None
        self._batch: _Batch | None = None
        self._readers: list[Connection] = []
        self._reader_slots = asyncio.Semaphore(pool_size)
        self._pool_size = pool_size
        self._reading = 0  # readers handed out now
        self.commits = 0
        self.writes = 0

    @property
    def sync_engine(self) -> Engine:
        return self._engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        await self._acquire_writer()
        batch: _Batch | None = None
        succeeded = False
        try:
            batch = await self._current_batch()
            conn = batch.transaction.connection
            savepoint = conn.begin_nested()
            try:
                yield InlineConnection(conn)
            except BaseException:
                savepoint.rollback()
                raise
            savepoint.commit()
            batch.writers += 1
            succeeded = True
        finally:
            try:
                if batch is not None and (self._waiting == 0 or batch.writers >= MAX_BATCH):
                    await self._commit(batch)
            finally:
                self._write_lock.release()
        if succeeded and batch is not None:
            await asyncio.shield(batch.done)  # acknowledged only once on disk

    async def _acquire_writer(self) -> None:
        self._waiting += 1
        try:
            # Not wait_for: on Python 3.11 it makes a task of every wait, even a free lock's.
            async with asyncio.timeout(self._timeout):
                await self._write_lock.acquire()
        except BaseException as exc:
            self._waiting -= 1
            self._flush_soon()
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"no SQLite writer within {self._timeout}s") from None
            raise
        self._waiting -= 1

    async def _current_batch(self) -> _Batch:
        if self._batch is None:
            if self._writer is None:
                self._writer = self._engine.connect()
                self._writer.info["immediate"] = True
            transaction = await _in_thread(self._writer.begin)
            self._batch = _Batch(transaction, asyncio.get_running_loop().create_future())
        return self._batch

    async def _commit(self, batch: _Batch) -> None:
        """Commit the batch (once), tell its writers, never leave it half-told."""
        if batch.closed:
            return
        batch.closed = True
        self._batch = None
        error, cancelled = await _finish_in_thread(batch.transaction.commit)
        self.commits += 1
        self.writes += batch.writers
        if error is None:
            batch.done.set_result(None)
        else:
            # A failed commit leaves the connection in doubt: closing it rolls back.
            if self._writer is not None:
                self._writer.close()
            self._writer = None
            if batch.writers:
                batch.done.set_exception(error)
        if cancelled:  # the others are told; now honour the cancellation
            raise asyncio.CancelledError

    def _flush_soon(self) -> None:
        """A waiter gave up: if the batch was kept open for it, commit it now."""
        batch = self._batch
        if batch is None or self._waiting or self._write_lock.locked():
            return

        async def flush() -> None:
            async with self._write_lock:
                if self._batch is batch:
                    await self._commit(batch)

        asyncio.get_running_loop().create_task(flush())

    async def write_without_foreign_keys(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction of its own with foreign keys off: a schema
        migration that rebuilds a table other tables refer to needs that (SQLite's own
        table-rebuild recipe). Every foreign key is checked before the commit."""
        await self._acquire_writer()
        try:
            if self._batch is not None:
                await self._commit(self._batch)
            with self._engine.connect() as conn:
                # Outside any transaction, where SQLite honours it; this connection only.
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA foreign_keys=OFF")
                conn.info["immediate"] = True
                with conn.begin():
                    result = work(conn)
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise IntegrityError(
                            "PRAGMA foreign_key_check", None, ValueError(f"broken: {broken}")
                        )
                return result
        finally:
            self._write_lock.release()

    def read(self) -> AbstractAsyncContextManager[Conn]:
        return _Read(self)

    async def _take_reader(self) -> Connection:
        """A reader slot, waited for up to pool_timeout, and a reader connection."""
        slots = self._reader_slots
        if slots.locked():
            try:
                async with asyncio.timeout(self._timeout):
                    await slots.acquire()
            except TimeoutError:
                raise PoolTimeout(f"no SQLite reader within {self._timeout}s") from None
        else:
            # Returns at once. Not wait_for: on Python 3.11 it makes a task of every wait
            # (~40 us a read).
            await slots.acquire()
        try:
            conn = self._readers.pop() if self._readers else self._engine.connect()
        except BaseException:
            slots.release()
            raise
        self._reading += 1
        return conn

    def _give_back(self, conn: Connection) -> None:
        self._readers.append(conn)
        self._reading -= 1
        self._reader_slots.release()

    def use(self) -> PoolUse:
        """The readers handed out, and the one writer while a write holds it."""
        return PoolUse(self._reading + self._write_lock.locked(), self._pool_size + 1)

    async def dispose(self) -> None:
        for conn in [*self._readers, *([self._writer] if self._writer else [])]:
            conn.close()
        self._readers.clear()
        self._writer = None
        self._engine.dispose()


class _Read(AbstractAsyncContextManager[Conn]):
    """A read: a reader connection, a deferred BEGIN (it never waits), and a rollback at
    the end (a read keeps nothing it may have written).

    A class rather than an @asynccontextmanager generator, which cost about 6 us more a
    read (a read by id takes 140 us: docs/benchmarks.md, `bench router`)."""

    def __init__(self, engines: SqliteEngines) -> None:
        self._engines = engines

    async def __aenter__(self) -> Conn:
        self._conn = await self._engines._take_reader()
        try:
            self._transaction = self._conn.begin()
        except BaseException:
            self._engines._give_back(self._conn)
            raise
        return InlineConnection(self._conn)

    async def __aexit__(self, *_: object) -> None:
        try:
            self._transaction.rollback()
        finally:
            self._engines._give_back(self._conn)


async def _in_thread(call: Callable[[], T]) -> T:
    """A blocking call in a worker thread; if cancelled, it still finishes first, so the
    connection is never used by two callers at once."""
    future = asyncio.get_running_loop().run_in_executor(None, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


async def _finish_in_thread(call: Callable[[], Any]) -> tuple[BaseException | None, bool]:
    """Run call in a thread to its end, whatever happens to the caller meanwhile.

    Returns its error (None when it succeeded) and whether the caller was cancelled.
    """
    future = asyncio.get_running_loop().run_in_executor(None, call)
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            cancelled = True
    return future.exception(), cancelled


def _sqlite_engine(url: URL) -> Engine:
    # SqliteEngines keeps its connections open itself: no pool underneath.
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={"check_same_thread": False},
        hide_parameters=True,  # see engine.py: an error never carries a statement's values
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )

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
        # The writer takes the write lock up front, so two processes never deadlock
        # upgrading a read lock; readers never block anyone in WAL mode.
        immediate = connection.info.get("immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
