"""Writing the main DB and a shard as one change.

There is no distributed transaction between two databases, so the order does the work:
the main DB's transaction stays open around the shard's, and the main DB commits last.
A failure before a shard commits rolls everything back. A failure after a shard committed
(the main DB's own commit included) runs that shard's `undo`, so nothing half-made stays.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from backchannel.router import Destination, Main
from backchannel.services.context import ServiceContext
from backchannel.storage.connection import Conn

Undo = Callable[[Conn], Awaitable[None]]
OpenShard = Callable[[Destination, Undo], AbstractAsyncContextManager[Conn]]


@asynccontextmanager
async def main_then_shards(
    ctx: ServiceContext,
) -> AsyncIterator[tuple[Conn, OpenShard]]:
    """(main connection, open_shard): open_shard(destination, undo) is a shard transaction."""
    committed: list[tuple[Destination, Undo]] = []

    @asynccontextmanager
    async def open_shard(destination: Destination, undo: Undo) -> AsyncIterator[Conn]:
        async with ctx.router.write(destination) as shard_conn:
            yield shard_conn
        committed.append((destination, undo))

    try:
        async with ctx.router.write(Main()) as main_conn:
            yield main_conn, open_shard
    except BaseException:
        for destination, undo in reversed(committed):
            async with ctx.router.write(destination) as shard_conn:
                await undo(shard_conn)
        raise
