"""Writing the main DB and a shard as one change.

There is no distributed transaction between two databases, so the order does the work:
the main DB's transaction stays open around the shard's, and the main DB commits last.
A failure before a shard commits rolls everything back. A failure after a shard committed
(the main DB's own commit included) runs that shard's `undo`, so nothing half-made stays.

The shards' events (and their undos') are published when the change is over, the main DB
committed or the shards undone: never while the main DB may still refuse it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from backchannel.router import CommitHook, Destination, Main, Transaction
from backchannel.services.context import ServiceContext

Undo = Callable[[Transaction], Awaitable[None]]
OpenShard = Callable[[Destination, Undo], AbstractAsyncContextManager[Transaction]]


@asynccontextmanager
async def main_then_shards(
    ctx: ServiceContext,
) -> AsyncIterator[tuple[Transaction, OpenShard]]:
    """(main transaction, open_shard): open_shard(destination, undo) is a shard transaction."""
    committed: list[tuple[Destination, Undo]] = []
    hooks: list[CommitHook] = []  # the committed shards' (events published at the end)

    @asynccontextmanager
    async def open_shard(destination: Destination, undo: Undo) -> AsyncIterator[Transaction]:
        async with ctx.router.write(destination, after_commit=hooks) as shard_txn:
            yield shard_txn
        committed.append((destination, undo))

    try:
        async with ctx.router.write(Main()) as main_txn:
            yield main_txn, open_shard
    except BaseException:
        for destination, undo in reversed(committed):
            async with ctx.router.write(destination, after_commit=hooks) as shard_txn:
                await undo(shard_txn)
        raise
    finally:
        for hook in hooks:
            await hook()
