"""A write transaction as the router hands it out: bound to one database, and carrying what
is to happen once it has committed (docs/router.md, Write transactions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from backchannel.storage.engines.connection import Conn
from backchannel.storage.engines.row_limit import RowLimitedConn

CommitHook = Callable[[], Awaitable[None]]
H = TypeVar("H")


class Transaction(RowLimitedConn):
    """A write transaction on one database: `shard` names it (None: the main DB), and
    `keyspace` is the one it was opened for (`ShardFor`), whose workspace lives there.

    Its commit hooks run once its commit is durable, in the order they were added, and never
    if it rolls back (Django's on_commit, on which Zulip's send_event_on_commit rests)."""

    def __init__(
        self, conn: Conn, max_rows: int, label: str, *, shard: str | None, keyspace: int | None
    ) -> None:
        super().__init__(conn, max_rows, label)
        self.shard = shard
        self.keyspace = keyspace
        self.hooks: list[CommitHook] = []

    def on_commit(self, hook: CommitHook) -> None:
        self.hooks.append(hook)

    def hook_of(self, kind: type[H]) -> H | None:
        """The hook of that kind added already, if any (one outbox a transaction)."""
        return next((hook for hook in self.hooks if isinstance(hook, kind)), None)
