"""The composition root: builds every component of a Backchannel process in one place."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette

from backchannel.config import Settings
from backchannel.errors import ConfigError
from backchannel.services import Clock, ServiceContext
from backchannel.services.deployment import Progress, open_router
from backchannel.webapp.app import create_webapp
from backchannel.webapp.ratelimit import RateLimiter

SHARD_MAP_CHECK_SECONDS = 1.0


@dataclass
class Backchannel:
    settings: Settings
    ctx: ServiceContext
    rate_limiter: RateLimiter | None = None

    def asgi(self, base_url: str | None = None) -> Starlette:
        """The ASGI app of an all-in-one process (today: the webapp role).

        base_url: where clients reach this process (default: from the server settings).
        """

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            watcher = asyncio.create_task(
                self.ctx.router.shard_map.watch(SHARD_MAP_CHECK_SECONDS), name="shard-map-watch"
            )
            try:
                yield
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

        return create_webapp(
            self.ctx,
            base_url or self.settings.server.base_url,
            rate_limiter=self.rate_limiter,
            lifespan=lifespan,
        )

    async def close(self) -> None:
        await self.ctx.router.close()


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
    router = await open_router(settings.storage, create=create, now=clock(), progress=progress)
    limiter = RateLimiter(clock, scale=server.rate_limit_scale) if server.rate_limits else None
    return Backchannel(settings, ServiceContext(router, clock), limiter)
