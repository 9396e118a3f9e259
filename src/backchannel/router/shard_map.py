"""The in-process cache of the shard map, refreshed when its version changes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from backchannel.errors import NotFound
from backchannel.models import ShardMap, WorkspaceAssignment


class ShardMapCache:
    """Holds the newest ShardMap seen; reloads it when the main DB's version moves on.

    Lookups are answered from memory. A keyspace not in the cache triggers one reload (a
    workspace created by another process a moment ago), then fails as not found.
    """

    def __init__(
        self,
        load: Callable[[], Awaitable[ShardMap]],
        read_version: Callable[[], Awaitable[int]],
    ) -> None:
        self._load = load
        self._read_version = read_version
        self._current = ShardMap(version=-1)
        self._lock = asyncio.Lock()
        self.reloads = 0

    @property
    def current(self) -> ShardMap:
        return self._current

    async def refresh(self) -> ShardMap:
        async with self._lock:
            self._current = await self._load()
            self.reloads += 1
            return self._current

    async def refresh_if_changed(self) -> bool:
        if await self._read_version() == self._current.version:
            return False
        await self.refresh()
        return True

    async def assignment(self, keyspace: int) -> WorkspaceAssignment:
        found = self._current.by_keyspace.get(keyspace)
        if found is None:
            found = (await self.refresh()).by_keyspace.get(keyspace)
        if found is None:
            raise NotFound(f"no workspace has keyspace {keyspace}", slack_error="team_not_found")
        return found

    async def watch(self, interval: float) -> None:
        """Follow the version until cancelled; a failed check is retried next round."""
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await self.refresh_if_changed()
