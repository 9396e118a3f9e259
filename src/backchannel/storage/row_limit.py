"""Row-limit protection (what Vitess's max result size does for Slack): a read that would
return more rows than the limit fails with a clear error instead of bringing them all.

Every SELECT without a LIMIT gets one of `max_rows + 1`, so a runaway read costs at most that
many rows; a result (of any SELECT) with more than `max_rows` rows raises RowLimitExceeded.
Reads that must see everything on purpose (the edge filling its cache of a whole workspace)
ask the router for an unbounded transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Dialect, Executable, ScalarResult, Select

from backchannel.errors import BackchannelError
from backchannel.storage.connection import Conn

T = TypeVar("T")
DEFAULT_MAX_ROWS = 100_000


class RowLimitExceeded(BackchannelError):
    """A read that would have returned more rows than the storage's max_rows."""

    slack_error = "fatal_error"


class RowLimitedConn:
    """A Conn whose SELECTs return at most `max_rows` rows, or fail."""

    def __init__(self, conn: Conn, max_rows: int, label: str) -> None:
        self.conn = conn
        self.max_rows = max_rows
        self.label = label

    @property
    def dialect(self) -> Dialect:
        return self.conn.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        if not isinstance(statement, Select):
            return await self.conn.execute(statement, parameters)
        if statement._limit_clause is None:
            statement = statement.limit(self.max_rows + 1)
        frozen = (await self.conn.execute(statement, parameters)).freeze()
        if len(frozen.data) > self.max_rows:
            raise RowLimitExceeded(
                f"a read on {self.label} would return more than {self.max_rows} rows "
                "(storage max_rows): it was stopped there"
            )
        # A buffered result of the same rows: what callers do with a SELECT's result
        # (iterate, all, first, one, scalars) works on it alike.
        return cast(CursorResult[Any], frozen())

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return await self.conn.scalar(statement, parameters)  # one row, whatever it matched

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return (await self.execute(statement, parameters)).scalars()

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> CursorResult[Any]:
        return await self.conn.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.conn.run_sync(fn, *args)
