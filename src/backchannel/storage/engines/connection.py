"""What storage functions run on: an open connection inside a transaction.

`Conn` is the part of SQLAlchemy's AsyncConnection that storage code uses. PostgreSQL
shards hand out real AsyncConnections (asyncpg). SQLite shards hand out InlineConnection:
a synchronous SQLAlchemy connection whose statements run right on the event loop, because
a SQLite statement takes microseconds while a round trip to a worker thread (aiosqlite)
took ~200 us per statement here; only the calls that may wait (taking the write lock, the
commit's fsync) go to a thread. See docs/storage.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, TypeVarTuple, overload

from sqlalchemy import Connection, CursorResult, Dialect, Engine, Executable, ScalarResult
from sqlalchemy.engine import URL
from sqlalchemy.sql.selectable import TypedReturnsRows

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class Conn(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    @overload
    async def execute(  # type: ignore[overload-overlap]
        self, statement: TypedReturnsRows[*Ts], parameters: Any = None
    ) -> CursorResult[*Ts]: ...

    @overload
    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]: ...

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any: ...

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]: ...

    async def exec_driver_sql(
        self, statement: str, parameters: Any = None
    ) -> CursorResult[Any]: ...

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T: ...


class InlineConnection:
    """A Conn over a synchronous connection: each call runs at once, in this thread."""

    def __init__(self, connection: Connection) -> None:
        self.sync_connection = connection

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        return self.sync_connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self.sync_connection.scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return self.sync_connection.scalars(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> CursorResult[Any]:
        return self.sync_connection.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self.sync_connection, *args)


@dataclass(frozen=True, slots=True)
class PoolUse:
    """How much of a database's pool is taken at this moment (docs/metrics.md)."""

    in_use: int  # connections handed out now
    size: int  # the most it hands out at once


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
    def use(self) -> PoolUse:
        """Its pool now, for the metrics: read at scrape time, so counting costs no query."""

    @abstractmethod
    async def dispose(self) -> None: ...
