"""The topology in the main DB: its tables (storage/main/topology.py), a version row advanced by
compare-and-set, and a watch: PostgreSQL's LISTEN/NOTIFY, or on SQLite (one machine) a
read of the version row every quarter of a second."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from backchannel.models import EdgeInfo, ShardMap
from backchannel.models.topology import TopologyChange
from backchannel.router.topology import OnVersion, TopologyConflict, TopologyStore
from backchannel.storage.engines.connection import Conn
from backchannel.storage.engines.engine import asyncpg_dsn, is_sqlite
from backchannel.storage.main import edges, topology

OpenConn = Callable[[], AbstractAsyncContextManager[Conn]]
CHANNEL = "backchannel_topology"  # NOTIFY carries the new version
SQLITE_POLL_SECONDS = 0.25
# Behind LISTEN, a read now and then too: a notification sent while the listener was
# reconnecting is otherwise missed.
POSTGRES_CHECK_SECONDS = 5.0
RECONNECT_SECONDS = 1.0


class MainDbTopology(TopologyStore):
    description = "the main database"

    def __init__(self, read: OpenConn, write: OpenConn, url: URL) -> None:
        self._read = read
        self._write = write
        self._url = url
        # Set by NOTIFY, and by this process's own commits: wakes the watch.
        self._changed = asyncio.Event()

    async def load(self) -> ShardMap:
        async with self._read() as conn:
            return await topology.load_shard_map_txn(conn)

    async def version(self) -> int:
        async with self._read() as conn:
            return await topology.shard_map_version_txn(conn)

    async def commit(self, expected: int, changes: Sequence[TopologyChange], now: float) -> int:
        try:
            async with self._write() as conn:
                if not await topology.advance_version_txn(conn, expected):
                    raise TopologyConflict(f"the topology is no longer at version {expected}")
                for change in changes:
                    await topology.apply_change_txn(conn, change, now)
                if not is_sqlite(self._url):  # delivered when (and only if) this commits
                    await conn.execute(select(func.pg_notify(CHANNEL, str(expected + 1))))
        except IntegrityError as exc:
            if expected != 0:
                raise
            raise TopologyConflict("the topology was created meanwhile") from exc
        self._changed.set()
        return expected + 1

    async def watch(self, on_version: OnVersion) -> None:
        if is_sqlite(self._url):
            while True:
                await self._report(on_version, SQLITE_POLL_SECONDS)
        while True:
            with contextlib.suppress(Exception):
                async with self._listening() as listener:
                    while not listener.is_closed():
                        await self._report(on_version, POSTGRES_CHECK_SECONDS)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _report(self, on_version: OnVersion, then_wait: float) -> None:
        """Report the version, then wait for a wake-up or `then_wait` seconds. The event is
        cleared before the read, so a change committed meanwhile wakes the next round."""
        self._changed.clear()
        with contextlib.suppress(Exception):  # the main DB down: try again next round
            await on_version(await self.version())
        # Not wait_for: on Python 3.11 it can swallow a cancellation that comes as the
        # event is set, and the watch would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(then_wait):
                await self._changed.wait()

    @contextlib.asynccontextmanager
    async def _listening(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection LISTENing on CHANNEL: each NOTIFY, or its loss, wakes `_report`."""
        listener = await asyncpg.connect(asyncpg_dsn(self._url))

        def wake(*_: object) -> None:
            self._changed.set()

        try:
            await listener.add_listener(CHANNEL, wake)
            listener.add_termination_listener(wake)
            yield listener
        finally:
            with contextlib.suppress(Exception):
                await listener.close(timeout=1)

    # -- the edge registry ----------------------------------------------------------------

    async def put_edge(self, edge: EdgeInfo) -> None:
        async with self._write() as conn:
            await edges.put_edge_txn(conn, edge)

    async def delete_edge(self, url: str, started: float) -> None:
        async with self._write() as conn:
            await edges.delete_edge_txn(conn, url, started)

    async def forget_edges(self, silent_since: float) -> None:
        async with self._write() as conn:
            await edges.forget_edges_txn(conn, silent_since)

    async def live_edges(self, now: float, heartbeats: float) -> list[EdgeInfo]:
        async with self._read() as conn:
            return await edges.live_edges_txn(conn, now, heartbeats)

    async def close(self) -> None:
        """Nothing: its connections are the router's main DB pool, and the watch's own."""
