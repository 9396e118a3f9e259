"""The in-process cache of the shard map, refreshed when the topology store says its version
changed (router/topology.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from backchannel.errors import NotFound
from backchannel.models import ShardMap, WorkspaceAssignment
from backchannel.router.topology import TopologyStore

Observer = Callable[[ShardMap, ShardMap], None]


class ShardMapCache:
    """Holds the newest ShardMap seen; reloads it when the store's version moves on.

    Lookups are answered from memory. A keyspace not in the cache triggers one reload (a
    workspace created by another process a moment ago), then fails as not found.
    """

    def __init__(self, store: TopologyStore) -> None:
        self._store = store
        self._current = ShardMap(version=-1)
        self._lock = asyncio.Lock()
        self._observers: list[Observer] = []
        self.reloads = 0

    def observe(self, observer: Observer) -> None:
        """Call `observer(old, new)` after every reload that changed the version (in the
        reloading task: keep it quick, start a task for anything slow)."""
        self._observers.append(observer)

    @property
    def current(self) -> ShardMap:
        return self._current

    async def refresh(self) -> ShardMap:
        async with self._lock:
            old, self._current = self._current, await self._store.load()
            self.reloads += 1
            if old.version != self._current.version:
                for observer in self._observers:
                    observer(old, self._current)
            return self._current

    async def refresh_if_changed(self, version: int | None = None) -> bool:
        """Reload if the store's version (or the one given) is not the one held."""
        if version is None:
            version = await self._store.version()
        if version == self._current.version:
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

    async def watch(self) -> None:
        """Follow the store's changes until cancelled (serve runs this in every process)."""
        await self._store.watch(self._on_version)

    async def _on_version(self, version: int) -> None:
        await self.refresh_if_changed(version)
