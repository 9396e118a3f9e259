"""Every workspace's cache on this edge (docs/edge-cache.md): filled on first use, least
recently used first out when the whole passes its bound, its stale channels read again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from backchannel.edge.cache import events
from backchannel.edge.cache.rows import WorkspaceCache
from backchannel.errors import BackchannelError
from backchannel.models import Event
from backchannel.services import ServiceContext
from backchannel.services.realtime import boot as boot_service
from backchannel.services.tenancy.assignments import workspace_log

log = logging.getLogger(__name__)

InUse = Callable[[str], bool]
Follow = Callable[[str], Awaitable[None]]


class EdgeCache:
    """Every workspace's cache on this edge, filled on first use, least recently used
    first out when the whole passes `max_bytes` (workspaces with open sockets stay)."""

    def __init__(
        self, ctx: ServiceContext, *, max_bytes: int, in_use: InUse, follow: Follow
    ) -> None:
        self.ctx = ctx
        self.max_bytes = max_bytes
        self._in_use = in_use
        self._follow = follow
        self._workspaces: OrderedDict[str, WorkspaceCache] = OrderedDict()
        self._filling: dict[str, asyncio.Task[WorkspaceCache]] = {}
        self._early: dict[str, list[Event]] = {}  # events that came during a fill
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    @property
    def size(self) -> int:
        return sum(cache.size for cache in self._workspaces.values())

    def __contains__(self, workspace_id: str) -> bool:
        return workspace_id in self._workspaces

    def workspace_ids(self) -> list[str]:
        return list(self._workspaces)

    def peek(self, workspace_id: str) -> WorkspaceCache | None:
        return self._workspaces.get(workspace_id)

    async def get(self, workspace_id: str) -> WorkspaceCache:
        """The workspace's cache, filled now if it is not held (concurrent callers share
        one fill)."""
        cache = self._workspaces.get(workspace_id)
        if cache is not None:
            self._workspaces.move_to_end(workspace_id)
            return cache
        task = self._filling.get(workspace_id)
        if task is None:
            task = asyncio.create_task(self._fill(workspace_id), name=f"fill-{workspace_id}")
            self._filling[workspace_id] = task
            task.add_done_callback(lambda _: self._filling.pop(workspace_id, None))
        return await asyncio.shield(task)

    async def _fill(self, workspace_id: str) -> WorkspaceCache:
        self._early[workspace_id] = []
        try:
            # Follow the log first, so that every event after the snapshot reaches us.
            stream = await workspace_log(self.ctx, workspace_id)
            await self._follow(stream)
            snapshot = await boot_service.snapshot(self.ctx, workspace_id)
            cache = WorkspaceCache.from_snapshot(snapshot, self.ctx.public_url)
            for event in self._early.pop(workspace_id):
                events.apply(cache, event)
        finally:
            self._early.pop(workspace_id, None)
        if await workspace_log(self.ctx, workspace_id) != stream:
            return cache  # it moved shard meanwhile (its sockets are told): not kept
        self._workspaces[workspace_id] = cache
        self._refresh_stale(cache)
        self._evict(keep=workspace_id)
        return cache

    def apply(self, event: Event) -> None:
        """An event of a workspace's log, before any socket gets it."""
        early = self._early.get(event.workspace_id)
        if early is not None:
            early.append(event)
            return
        cache = self._workspaces.get(event.workspace_id)
        if cache is not None:
            events.apply(cache, event)
            if cache.stale:
                self._refresh_stale(cache)

    def drop(self, workspace_id: str) -> None:
        """Forget a workspace (it moved to another edge or DB shard): a later use reads it
        afresh."""
        self._workspaces.pop(workspace_id, None)
        task = self._refreshing.pop(workspace_id, None)
        if task is not None:
            task.cancel()

    def _evict(self, *, keep: str) -> None:
        total = self.size
        for workspace_id in list(self._workspaces):
            if total <= self.max_bytes:
                return
            if workspace_id == keep or self._in_use(workspace_id):
                continue
            total -= self._workspaces[workspace_id].size
            self.drop(workspace_id)
            log.info("edge cache: evicted workspace %s (%.1f MB held)", workspace_id, total / 1e6)

    # -- channels to read again ----------------------------------------------------------

    def _refresh_stale(self, cache: WorkspaceCache) -> None:
        if cache.stale and cache.workspace_id not in self._refreshing:
            task = asyncio.create_task(self._refresh(cache), name=f"refresh-{cache.workspace_id}")
            self._refreshing[cache.workspace_id] = task

    async def _refresh(self, cache: WorkspaceCache) -> None:
        """Read the stale channels again, until none is left; a channel that changed while
        it was read is read once more, so an older read never overwrites a newer event."""
        try:
            while cache.stale and self._workspaces.get(cache.workspace_id) is cache:
                channel_id = cache.stale.pop()
                seen = cache.changes.get(channel_id, 0)
                try:
                    found = await boot_service.channel_snapshot(
                        self.ctx, cache.workspace_id, channel_id, cache.users.keys()
                    )
                except BackchannelError as exc:
                    log.warning("edge cache: cannot read channel %s: %s", channel_id, exc)
                    await asyncio.sleep(1.0)
                    cache.stale.add(channel_id)
                    continue
                if cache.changes.get(channel_id, 0) != seen:
                    cache.stale.add(channel_id)
                elif found is None:
                    cache.drop_channel(channel_id)
                else:
                    cache.put_channel(found.channel, found.members)
                    for user in found.newcomers:
                        cache.put_user(user)
        finally:
            if self._refreshing.get(cache.workspace_id) is asyncio.current_task():
                del self._refreshing[cache.workspace_id]

    async def close(self) -> None:
        tasks = [*self._refreshing.values(), *self._filling.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, BackchannelError):
                await task
