"""One pool (a set of engines) per shard, and one per streaming replica, opened on first use.
See docs/router.md; how full each one is shows in the metrics (docs/metrics.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

from backchannel.models import DbShard
from backchannel.storage.engines.connection import Engines, PoolUse
from backchannel.storage.engines.engine import create_engines, parse_database_url

PRIMARY, REPLICA = "primary", "replica"
# A shard's open pool: the URL it was opened on, and its engines.
Pool = tuple[str, Engines]


class ShardPools:
    def __init__(self, *, base_dir: Path, pool_size: int, pool_timeout: float) -> None:
        self._base_dir = base_dir
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._primaries: dict[str, Pool] = {}
        self._replicas: dict[str, Pool] = {}

    def engines_for(self, shard: DbShard) -> Engines:
        pool = self._primaries.get(shard.name)
        if pool is not None and pool[0] == shard.url:
            return pool[1]
        return self._open(self._primaries, shard.name, shard.url)

    def replica_engines_for(self, shard: DbShard) -> Engines | None:
        """The pool of the shard's streaming replica; None if it has none."""
        url = shard.replica_url
        if url is None:
            return None
        pool = self._replicas.get(shard.name)
        if pool is not None and pool[0] == url:
            return pool[1]
        return self._open(self._replicas, shard.name, url)

    def _open(self, pools: dict[str, Pool], name: str, url: str) -> Engines:
        old = pools.get(name)
        if old is not None:
            # The shard moved to another server: close the old pool in the background.
            asyncio.get_running_loop().create_task(old[1].dispose())
        parsed = parse_database_url(url, base_dir=self._base_dir)
        engines = create_engines(parsed, pool_size=self._pool_size, pool_timeout=self._pool_timeout)
        pools[name] = (url, engines)
        return engines

    def usage(self) -> Iterator[tuple[str, str, PoolUse]]:
        """(shard, primary or replica, how full) for every open pool, in name order."""
        for role, pools in ((PRIMARY, self._primaries), (REPLICA, self._replicas)):
            for name, (_, engines) in sorted(pools.items()):
                yield name, role, engines.use()

    async def close(self) -> None:
        for pools in (self._primaries, self._replicas):
            for _, engines in pools.values():
                await engines.dispose()
            pools.clear()
