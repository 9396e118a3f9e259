"""One pool (a set of engines) per shard, opened on first use."""

from __future__ import annotations

import asyncio
from pathlib import Path

from backchannel.models import DbShard
from backchannel.storage.connection import Engines
from backchannel.storage.engine import create_engines, parse_database_url


class ShardPools:
    def __init__(self, *, base_dir: Path, pool_size: int, pool_timeout: float) -> None:
        self._base_dir = base_dir
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._engines: dict[str, Engines] = {}
        self._urls: dict[str, str] = {}

    def engines_for(self, shard: DbShard) -> Engines:
        engines = self._engines.get(shard.name)
        if engines is not None and self._urls[shard.name] == shard.url:
            return engines
        if engines is not None:
            # The shard moved to another server: close the old pool in the background.
            asyncio.get_running_loop().create_task(engines.dispose())
        url = parse_database_url(shard.url, base_dir=self._base_dir)
        engines = create_engines(url, pool_size=self._pool_size, pool_timeout=self._pool_timeout)
        self._engines[shard.name] = engines
        self._urls[shard.name] = shard.url
        return engines

    def replica_engines_for(self, shard: DbShard) -> Engines | None:
        """The pool of the shard's streaming replica; None if it has none."""
        if shard.replica_url is None:
            return None
        return self.engines_for(DbShard(f"{shard.name} (replica)", shard.replica_url))

    async def close(self) -> None:
        for engines in self._engines.values():
            await engines.dispose()
        self._engines.clear()
        self._urls.clear()
