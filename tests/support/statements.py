"""Counting the SQL statements a Web API call sends (Zulip's assert_database_query_count).

Every engine of the deployment (the main DB and each shard) reports each statement through
SQLAlchemy's before_cursor_execute event. Only those sent while serving a request of the
counting server are kept: the server marks each HTTP request's context, so what runs
meanwhile in the background (the shard map's watch, the relay sweep, an edge's heartbeat)
is not counted, while a read a request hands to a task of its own (router/consolidation.py)
is. Transaction control (SQLite's BEGIN and savepoints; asyncpg begins and commits without
a statement) is left out, so that the counts are of the statements a change adds or
removes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Receive, Scope, Send

from backchannel.app import Backchannel
from backchannel.router import Router
from tests.support.server import live_server

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")


class Statements:
    """What the counting server's requests sent, within `counted()`."""

    def __init__(self) -> None:
        self._window: list[str] | None = None

    def record(self, statement: str) -> None:
        if self._window is not None and not statement.lstrip().startswith(TRANSACTION_CONTROL):
            self._window.append(" ".join(statement.split()))

    @contextmanager
    def counted(self) -> Iterator[list[str]]:
        """The statements sent from now until the block ends, in order."""
        self._window = []
        try:
            yield self._window
        finally:
            self._window = None


_serving: ContextVar[Statements | None] = ContextVar("serving", default=None)


def _record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    statements = _serving.get()
    if statements is not None:
        statements.record(statement)


@dataclass
class _Marking(Backchannel):
    """A deployment whose webapp marks each request's context with `statements`."""

    statements: Statements = field(default_factory=Statements)

    def asgi(self, base_url: str | None = None) -> Any:
        app: ASGIApp = super().asgi(base_url)

        async def marked(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":  # the lifespan starts the background work
                await app(scope, receive, send)
                return
            token = _serving.set(self.statements)
            try:
                await app(scope, receive, send)
            finally:
                _serving.reset(token)

        return marked


def _engines(router: Router) -> list[Engine]:
    shards = router.shard_map.current.db_shards.values()
    return [router.main.sync_engine, *(router.pools.engines_for(s).sync_engine for s in shards)]


@asynccontextmanager
async def counting_server(backchannel: Backchannel) -> AsyncIterator[tuple[str, Statements]]:
    """`backchannel` served on a free port (tests/support/server.py): its base URL, and the
    statements its requests send."""
    served = _Marking(backchannel.settings, backchannel.ctx, backchannel.rate_limiter)
    engines = _engines(backchannel.ctx.router)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _record)
    try:
        async with live_server(served) as url:
            yield url, served.statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", _record)
