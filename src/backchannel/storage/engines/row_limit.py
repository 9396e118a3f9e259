"""Row-limit protection (what Vitess's max result size does for Slack): a read that would
return more rows than the limit fails with a clear error instead of bringing them all.

Every SELECT without a LIMIT gets one of `max_rows + 1`, so a runaway read costs at most that
many rows; a result (of any SELECT) with more than `max_rows` rows raises RowLimitExceeded.
A SELECT whose own LIMIT is at most `max_rows` cannot return more: it is left as it is.
Reads that must see everything on purpose (the edge filling its cache of a whole workspace)
ask the router for an unbounded transaction. See docs/router.md, "Row limits".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    CursorResult,
    Dialect,
    Executable,
    Integer,
    ScalarResult,
    Select,
    literal,
)
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy

from backchannel.errors import BackchannelError
from backchannel.storage.engines.connection import Conn

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
        if not isinstance(statement, Select) or _limited_to(statement, self.max_rows):
            return await self.conn.execute(statement, parameters)
        if statement._limit_clause is None:
            statement = statement.limit(_limit_past(self.max_rows))
        result = await self.conn.execute(statement, parameters)
        # The rows fetched here to count them (max_rows + 1 at most, whatever the LIMIT), and
        # handed back in the same CursorResult, now reading from that buffer: what callers do
        # with a SELECT's result (iterate, all, first, one, scalars) works on it alike.
        rows = result.cursor.fetchmany(self.max_rows + 1)
        strategy = result.cursor_strategy
        result.cursor_strategy = FullyBufferedCursorFetchStrategy(
            result.cursor, strategy.alternate_cursor_description, rows
        )
        if len(rows) > self.max_rows:
            result.close()
            raise RowLimitExceeded(
                f"a read on {self.label} would return more than {self.max_rows} rows "
                "(storage max_rows): it was stopped there"
            )
        return result

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return await self.conn.scalar(statement, parameters)  # one row, whatever it matched

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return (await self.execute(statement, parameters)).scalars()

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> CursorResult[Any]:
        return await self.conn.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.conn.run_sync(fn, *args)


@cache
def _limit_past(max_rows: int) -> BindParameter[int]:
    """The LIMIT given to a SELECT without one, built once: `limit(n)` would build a bound
    parameter for every statement (about 3 us a read). One bound parameter may serve any
    number of statements."""
    return literal(max_rows + 1, Integer)


def _limited_to(statement: Select[Any], max_rows: int) -> bool:
    """Whether the SELECT's own LIMIT is a number of at most max_rows: then it cannot return
    more, and is neither rewritten nor counted (pages of history, of listings)."""
    clause = statement._limit_clause
    if clause is None or not statement._simple_int_clause(clause):  # an expression
        return False
    limit = statement._limit
    return limit is not None and limit <= max_rows
