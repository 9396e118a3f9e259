"""Running one piece of async work against a deployment, then closing it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from backchannel.app import open_backchannel
from backchannel.config import Settings
from backchannel.services import ServiceContext

T = TypeVar("T")


def run_with_services(
    settings: Settings, work: Callable[[ServiceContext], Awaitable[T]], *, create: bool
) -> T:
    async def main() -> T:
        backchannel = await open_backchannel(settings, create=create)
        try:
            return await work(backchannel.ctx)
        finally:
            await backchannel.close()

    return asyncio.run(main())
