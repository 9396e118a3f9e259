"""Query consolidation (what Vitess's consolidator does for Slack): identical reads in flight
on one shard share one execution.

A read is named by its shard, the function that does it and that function's arguments. While
one runs, the same read asked again waits for its result instead of running a second time: a
burst of clients loading the same channel's history after one message costs the shard one
query. Only reads whose result does not depend on who asks, and that callers do not change,
may be shared (see Router.read_shared). The counts, per shard, show in the metrics
(docs/metrics.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Key = tuple[str, Callable[..., Any], tuple[Hashable, ...]]


@dataclass
class ConsolidationStats:
    executed: int = 0  # reads that ran
    shared: int = 0  # reads that waited for an identical one instead of running


class Consolidator:
    def __init__(self) -> None:
        self.by_shard: dict[str, ConsolidationStats] = {}  # keyed as Key's first item
        self._in_flight: dict[Key, asyncio.Task[Any]] = {}

    @property
    def stats(self) -> ConsolidationStats:
        """Every shard's counts together, as they stand now."""
        return ConsolidationStats(
            executed=sum(stats.executed for stats in self.by_shard.values()),
            shared=sum(stats.shared for stats in self.by_shard.values()),
        )

    async def run(self, key: Key, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`, or the result of the identical read already running. The read runs in a
        task of its own: a caller that gives up (cancelled) does not cancel it for the
        others, and a failure reaches every caller."""
        task = self._in_flight.get(key)
        shard = self.by_shard.get(key[0]) or self.by_shard.setdefault(key[0], ConsolidationStats())
        if task is None:
            shard.executed += 1
            task = asyncio.ensure_future(read())
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._forget(key, task))
        else:
            shard.shared += 1
        result: T = await asyncio.shield(task)
        return result

    def _forget(self, key: Key, task: asyncio.Task[Any]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
