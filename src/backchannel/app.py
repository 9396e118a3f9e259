"""The composition root: builds every component of a Backchannel process in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette

from backchannel.bus import Bus, MemoryBus
from backchannel.config import ROLES, Settings, check_proxies
from backchannel.edge import Edge
from backchannel.errors import ConfigError
from backchannel.metrics import Metrics, Series
from backchannel.models import EdgeInfo
from backchannel.ops.deployment import Progress, open_router
from backchannel.router import Router
from backchannel.router.consolidation import ConsolidationStats
from backchannel.router.router import MAIN
from backchannel.services import Clock, ServiceContext
from backchannel.services.realtime import edges
from backchannel.services.realtime import events as event_service
from backchannel.storage.blobs import check_files_setting, open_blob_store
from backchannel.webapp.app import create_webapp
from backchannel.webapp.ratelimit import RateLimiter

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
RELAY_SWEEP_SECONDS = 2.0


@dataclass
class Backchannel:
    settings: Settings
    ctx: ServiceContext
    rate_limiter: RateLimiter | None = None
    # The process's metrics, served by the webapp and the edge alike (docs/metrics.md).
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        _sample_router(self.metrics, self.ctx.router)
        _sample_limiter(self.metrics, self.rate_limiter)

    def asgi(self, base_url: str | None = None) -> Starlette:
        """The ASGI app of the webapp role (the Web API), with the background work."""

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            async with self.background(upkeep=True):
                yield

        if base_url is not None:  # where it listens, known now: the URLs of ours name it
            self.ctx.public_url = base_url
        return create_webapp(
            self.ctx,
            self.ctx.public_url,
            metrics=self.metrics,
            rate_limiter=self.rate_limiter,
            lifespan=lifespan,
        )

    def edge(self) -> Edge:
        """The message server of the edge role; start it on a listening socket."""
        server = self.settings.server
        cache_bytes = int(server.edge_cache_mb * 1024 * 1024)
        return Edge(
            self.ctx,
            cache_bytes=cache_bytes,
            metrics=self.metrics,
            open_timeout=server.header_timeout_seconds,
            app_disable_after=server.app_disable_after_minutes * 60,
        )

    @contextlib.asynccontextmanager
    async def running_edge(
        self, sock: socket.socket, url: str
    ) -> AsyncIterator[tuple[Edge, EdgeInfo]]:
        """The edge role serving `sock`, registered in the main DB as `url`, heartbeating
        and letting go of the workspaces it stops owning (docs/edge-cache.md, Routing). On
        the way out it unregisters first, so that its clients are sent elsewhere, then says
        goodbye to them."""
        server = self.settings.server
        url = edges.check_edge_url(url)  # as registered: the edge knows itself by it
        edge = self.edge()
        await edge.start(sock, url)
        try:
            me = await edges.register_edge(
                self.ctx,
                server.edge_ms_shards or None,
                url,
                heartbeat_seconds=server.edge_heartbeat_seconds,
            )

            async def beat() -> None:
                await edges.heartbeat(self.ctx, me)
                await edge.check_ownership()

            stop = asyncio.Event()
            beating = asyncio.create_task(
                _every(server.edge_heartbeat_seconds, stop, beat, "the edge's heartbeat"),
                name="edge-heartbeat",
            )
            try:
                yield edge, me
            finally:
                stop.set()
                await beating
                try:
                    await edges.unregister_edge(self.ctx, me)
                except Exception as exc:  # then it is gone once its heartbeat is stale
                    log.warning("unregistering the edge failed: %s", exc)
        finally:
            await edge.stop()

    @contextlib.asynccontextmanager
    async def background(self, *, upkeep: bool) -> AsyncIterator[None]:
        """Follow the shard map. With `upkeep` (the webapp's), drop events past the retention
        now and then, and sweep the shared-channel relays."""
        tasks = [asyncio.create_task(self.ctx.router.shard_map.watch(), name="shard-map-watch")]
        stop = asyncio.Event()
        sweeper = None
        if upkeep:
            tasks.append(asyncio.create_task(self._prune_events(), name="prune-events"))
            sweeper = asyncio.create_task(self._sweep_relays(stop), name="sweep-relays")
        try:
            yield
        finally:
            if sweeper is not None:
                # Asked to stop, not cancelled: cancelling it in the middle of a database
                # call could leave a pooled connection waiting for ever at shutdown.
                stop.set()
                await sweeper
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _prune_events(self) -> None:
        retention = self.settings.server.event_retention_hours * 3600
        while True:
            await asyncio.sleep(PRUNE_EVERY_SECONDS)  # not at start-up: it has enough to do
            try:
                await event_service.prune(self.ctx, retention_seconds=retention)
            except Exception as exc:  # a shard that is down is pruned next time
                log.warning("pruning the event logs failed: %s", exc)

    async def _sweep_relays(self, stop: asyncio.Event) -> None:
        """Each write relays its own shared-channel events; this makes up for a process that
        died in between (docs/organisations.md)."""
        await _every(
            RELAY_SWEEP_SECONDS,
            stop,
            lambda: event_service.relay_all(self.ctx),
            "relaying shared-channel events",
        )

    async def close(self) -> None:
        await self.ctx.router.close()
        await self.ctx.bus.close()
        await self.ctx.blobs.close()


def _sample_router(metrics: Metrics, router: Router) -> None:
    """The router's pools and consolidated reads, read when scraped: no cost per query."""

    def pools(in_use: bool) -> Series:
        main = router.main.use()
        yield (MAIN, "primary"), main.in_use if in_use else main.size
        for shard, role, use in router.pools.usage():
            yield (shard, role), use.in_use if in_use else use.size

    def consolidated() -> Series:
        by_shard = router.consolidator.by_shard
        for shard in sorted(set(by_shard) | set(router.shard_map.current.db_shards)):
            stats = by_shard.get(shard, ConsolidationStats())
            yield (shard, "ran"), stats.executed
            yield (shard, "shared"), stats.shared

    labels = ["shard", "role"]
    metrics.sample(
        "backchannel_shard_pool_in_use",
        "Connections a shard's pool has handed out now (main: the main DB).",
        "gauge",
        labels,
        lambda: pools(in_use=True),
    )
    metrics.sample(
        "backchannel_shard_pool_size",
        "The most connections a shard's pool hands out at once (SQLite: readers + 1 writer).",
        "gauge",
        labels,
        lambda: pools(in_use=False),
    )
    metrics.sample(
        "backchannel_consolidation_reads",
        "Shared reads by shard: ran, or shared the result of an identical read in flight.",
        "counter",
        ["shard", "result"],
        consolidated,
    )


def _sample_limiter(metrics: Metrics, limiter: RateLimiter | None) -> None:
    rejected = {} if limiter is None else limiter.rejected
    metrics.sample(
        "backchannel_ratelimited",
        "Calls answered ratelimited (HTTP 429), by method (auth.signin: the web sign-in).",
        "counter",
        ["method"],
        lambda: (((method,), count) for method, count in sorted(rejected.items())),
    )


async def _every(
    seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]], what: str
) -> None:
    """Do `work` now and every `seconds` until `stop` is set. Asked to stop, not cancelled:
    cancelling it in the middle of a database call could leave a pooled connection waiting
    for ever at shutdown. A failure (a database that is down) is tried again next time."""
    while not stop.is_set():
        try:
            await work()
        except Exception as exc:
            log.warning("%s failed: %s", what, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


POSITIVE_SETTINGS = (
    "edge_cache_mb",
    "edge_heartbeat_seconds",
    "event_retention_hours",
    "header_timeout_seconds",
    "app_disable_after_minutes",
)


async def open_backchannel(
    settings: Settings,
    *,
    create: bool = True,
    clock: Clock = time.time,
    progress: Progress | None = None,
) -> Backchannel:
    server = settings.server
    if server.rate_limit_scale <= 0:
        raise ConfigError(f"rate_limit_scale must be above 0, got {server.rate_limit_scale}")
    if server.role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, got {server.role!r}")
    if server.role != "all" and server.nats_url is None:
        raise ConfigError(f"role {server.role} runs beside other processes: give --nats URL")
    for key in POSITIVE_SETTINGS:
        value = getattr(server, key)
        if value <= 0:
            raise ConfigError(f"{key} must be above 0, got {value}")
    check_proxies(server.trusted_proxies)
    check_files_setting(settings.storage)
    router = await open_router(settings.storage, create=create, now=clock(), progress=progress)
    try:
        bus = await _open_bus(settings)
    except BaseException:
        await router.close()
        raise
    try:
        blobs = await open_blob_store(settings.storage)
    except BaseException:
        await router.close()
        await bus.close()
        raise
    limiter = RateLimiter(clock, scale=server.rate_limit_scale) if server.rate_limits else None
    ctx = ServiceContext(router, clock, bus=bus, public_url=server.base_url, blobs=blobs)
    return Backchannel(settings, ctx, limiter)


async def _open_bus(settings: Settings) -> Bus:
    url = settings.server.nats_url
    if url is None:
        return MemoryBus()
    from backchannel.bus.bus_nats import connect_nats  # only multi-process setups need it

    return await connect_nats(url, name=f"backchannel-{settings.server.role}")
