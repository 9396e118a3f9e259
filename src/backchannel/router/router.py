"""Router: destination -> shard -> pool -> connection, with failures kept to one shard."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backchannel.errors import InvalidArgument, NotFound, StorageUnavailable
from backchannel.models import DbShard, ShardMap, WorkspaceAssignment
from backchannel.models.topology import FROZEN, TopologyChange
from backchannel.router.consolidation import Consolidator
from backchannel.router.destinations import AllShards, Destination, Main, Shard, ShardFor
from backchannel.router.pools import ShardPools
from backchannel.router.shard_map import ShardMapCache
from backchannel.router.topology import TopologyConflict, TopologyStore, apply_changes
from backchannel.router.topology_main import MainDbTopology
from backchannel.router.transaction import CommitHook, Transaction
from backchannel.storage.engines.connection import Conn, Engines
from backchannel.storage.engines.engine import redact
from backchannel.storage.engines.row_limit import DEFAULT_MAX_ROWS, RowLimitedConn
from backchannel.types import InvalidId, keyspace_of

T = TypeVar("T")
CHANGE_ATTEMPTS = 20
CHANGE_BACKOFF_SECONDS = 0.002
FREEZE_POLL_SECONDS = 0.02
READ_ONLY_SQL_TRANSACTION = "25006"  # PostgreSQL's SQLSTATE
MAIN = "main"  # the main DB among the shards, in the metrics (docs/metrics.md)
# A lost or refused connection, SQLite's lock wait running out, no pooled connection in time.
_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout, OSError)


def _read_only(exc: DBAPIError) -> bool:
    """A write refused by a read-only server: an old primary fenced by a failover."""
    return getattr(exc.orig, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION


def _unavailable(name: str, exc: BaseException) -> StorageUnavailable:
    reason = getattr(exc, "orig", None) or exc
    return StorageUnavailable(f"{name} is unavailable: {type(reason).__name__}: {reason}".strip())


class Router:
    """Every read and write of Backchannel's data goes through one of these."""

    def __init__(
        self,
        main: Engines,
        *,
        base_dir: Path,
        pool_size: int = 5,
        pool_timeout: float = 5.0,
        max_rows: int = DEFAULT_MAX_ROWS,
        topology: TopologyStore | None = None,
        freeze_wait: float = 30.0,
        replica_reads: bool = False,
    ) -> None:
        self.main = main
        self.replica_reads = replica_reads
        self.max_rows = max_rows
        self.freeze_wait = freeze_wait
        self.pools = ShardPools(base_dir=base_dir, pool_size=pool_size, pool_timeout=pool_timeout)
        self.topology = topology or MainDbTopology(
            lambda: self.read(Main()), lambda: self.write(Main()), main.url
        )
        self.shard_map = ShardMapCache(self.topology)
        self.consolidator = Consolidator()

    # -- the shard map -----------------------------------------------------------------

    async def change_topology(
        self, plan: Callable[[ShardMap], Sequence[TopologyChange]]
    ) -> ShardMap:
        """Change the topology by compare-and-set: `plan(current)` says what to change, and
        is asked again against the newer map if another change came first. plan may raise
        to refuse (nothing changes). Returns the new map, now this router's current one."""
        for attempt in range(CHANGE_ATTEMPTS):
            if attempt:
                # Let the winner's commit land (on SQLite it may wait in a group commit
                # that this read would not see yet), and spread the losers out.
                await asyncio.sleep(random.uniform(0, CHANGE_BACKOFF_SECONDS * attempt))
            current = await self.shard_map.refresh()
            changes = plan(current)
            if not changes:
                return current
            apply_changes(current, changes)  # refuse a change that breaks the map's rules
            try:
                await self.topology.commit(current.version, changes, time.time())
            except TopologyConflict:
                continue
            return await self.shard_map.refresh()
        raise TopologyConflict(
            f"the topology kept changing under this change ({CHANGE_ATTEMPTS} attempts): try again"
        )

    async def assignment(self, keyed_id: str) -> WorkspaceAssignment:
        """The workspace assignment (DB shard, message-server shard) of any keyed id."""
        try:
            keyspace = keyspace_of(keyed_id)
        except InvalidId as exc:
            raise InvalidArgument(str(exc)) from None
        return await self.shard_map.assignment(keyspace)

    async def _wait_while_frozen(self, keyed_id: str) -> None:
        """Wait while the id's workspace is FROZEN (a move's last copy), up to
        `freeze_wait` seconds; then refuse, so the caller can retry."""
        assignment = await self.assignment(keyed_id)
        if assignment.state != FROZEN:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.freeze_wait
        checked = loop.time()
        while assignment.state == FROZEN:
            if loop.time() >= deadline:
                raise StorageUnavailable(
                    f"workspace {assignment.workspace_id} is being moved to another shard: "
                    "try again in a moment"
                )
            await asyncio.sleep(FREEZE_POLL_SECONDS)
            if loop.time() - checked >= 1.0:  # in case no watch runs here (a CLI command)
                await self.shard_map.refresh()
                checked = loop.time()
            assignment = await self.assignment(keyed_id)

    async def resolve(self, destination: Destination) -> DbShard | None:
        """The shard a destination names; None for the main DB."""
        match destination:
            case Main():
                return None
            case ShardFor(keyed_id):
                name = (await self.assignment(keyed_id)).db_shard
            case Shard(name):
                pass
            case _:
                raise TypeError(f"expected Main, ShardFor or Shard, got {destination!r}")
        shard = self.shard_map.current.db_shards.get(name)
        if shard is None:
            shard = (await self.shard_map.refresh()).db_shards.get(name)
        if shard is None:
            raise NotFound(f"no shard named {name!r}")
        return shard

    # -- connections -------------------------------------------------------------------

    async def _engines(self, destination: Destination) -> tuple[str, Engines]:
        return self._engines_of(await self.resolve(destination))

    def _engines_of(self, shard: DbShard | None) -> tuple[str, Engines]:
        if shard is None:
            return "the main database", self.main
        return f"shard {shard.name}", self.pools.engines_for(shard)

    @asynccontextmanager
    async def write(
        self, destination: Destination, *, after_commit: list[CommitHook] | None = None
    ) -> AsyncIterator[Transaction]:
        """A transaction on the destination's primary: committed when the block exits, then
        its commit hooks run (router/transaction.py), or are left in `after_commit` for the
        caller to run when the larger change it belongs to is over (services/crossdb.py). A
        write to a workspace being moved waits out its brief freeze, then goes to wherever
        the workspace is then (ops/moves.py)."""
        keyspace = None
        if isinstance(destination, ShardFor):
            await self._wait_while_frozen(destination.keyed_id)
            keyspace = keyspace_of(destination.keyed_id)  # a valid id: it was just resolved
        shard = await self.resolve(destination)
        label, engines = self._engines_of(shard)
        name = None if shard is None else shard.name
        async with self._guard(label), engines.write() as conn:
            txn = Transaction(conn, self.max_rows, label, shard=name, keyspace=keyspace)
            yield txn
        if after_commit is not None:
            after_commit.extend(txn.hooks)
            return
        for hook in txn.hooks:
            await hook()

    @asynccontextmanager
    async def read(
        self, destination: Destination, *, unbounded: bool = False, replica_ok: bool = False
    ) -> AsyncIterator[Conn]:
        """A read transaction (on SQLite a consistent snapshot; READ COMMITTED on PostgreSQL).
        Its SELECTs return at most `max_rows` rows or fail (storage/engines/row_limit.py), unless it
        is `unbounded`: for the few reads that must see everything (the edge's cache).
        `replica_ok`: a read that may lag the primary a little goes to the shard's replica
        when the deployment says so (`replica_reads`), or to the primary if the replica
        cannot be reached."""
        label, engines = await self._engines(destination)
        if not (replica_ok and self.replica_reads):  # the usual path, kept lean
            async with self._guard(label), engines.read() as conn:
                yield conn if unbounded else RowLimitedConn(conn, self.max_rows, label)
            return
        async with AsyncExitStack() as stack:
            chosen = await self._replica_read(stack, destination)
            if chosen is None:  # no replica, or none that answers: the primary
                await stack.enter_async_context(self._guard(label))
                chosen = await stack.enter_async_context(engines.read())
            yield chosen if unbounded else RowLimitedConn(chosen, self.max_rows, label)

    async def _replica_read(self, stack: AsyncExitStack, destination: Destination) -> Conn | None:
        """A read transaction on the destination's replica, or None if it has none or the
        replica cannot be reached (then the caller reads the primary)."""
        shard = await self.resolve(destination)
        replica = None if shard is None else self.pools.replica_engines_for(shard)
        if shard is None or replica is None:
            return None
        try:
            conn = await stack.enter_async_context(replica.read())
        except _UNREACHABLE:
            return None
        await stack.enter_async_context(self._guard(f"shard {shard.name}'s replica"))
        return conn

    async def read_shared(
        self,
        destination: Destination,
        work: Callable[..., Awaitable[T]],
        *args: Hashable,
        replica_ok: bool = False,
    ) -> T:
        """`await work(conn, *args)` in a read transaction on the destination's shard, shared
        with the identical reads (same shard, function and arguments) in flight: they wait
        for this one's result instead of running again (router/consolidation.py). For reads
        whose result does not depend on the caller and that callers do not change.
        `replica_ok`: as for `read`."""
        shard = await self.resolve(destination)

        async def read() -> T:
            async with self.read(destination, replica_ok=replica_ok) as conn:
                return await work(conn, *args)

        name = MAIN if shard is None else shard.name  # as the metrics name it
        return await self.consolidator.run((name, work, args), read)

    async def scatter(
        self, _: AllShards, work: Callable[[str, Conn], Awaitable[T]]
    ) -> dict[str, T]:
        """Run `work` on every shard, in shard-name order; results by shard name."""
        results: dict[str, T] = {}
        for name in sorted((await self.shard_map.refresh()).db_shards):
            async with self.read(Shard(name)) as conn:
                results[name] = await work(name, conn)
        return results

    @asynccontextmanager
    async def _guard(self, label: str) -> AsyncIterator[None]:
        """Turn a lost connection or a full pool into StorageUnavailable for this shard only."""
        try:
            yield
        except _UNREACHABLE as exc:
            raise _unavailable(label, exc) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated or _read_only(exc):
                raise _unavailable(label, exc) from exc
            raise

    async def close(self) -> None:
        await self.topology.close()
        await self.pools.close()
        await self.main.dispose()

    def describe(self, shard: DbShard) -> str:
        return redact(shard.url)
