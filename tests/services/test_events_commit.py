"""Events are bound to the transaction they are appended in: to its shard's log only, and
published once it has committed, never if it rolls back, whatever encloses it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from backchannel.bus.codec import decode_event
from backchannel.models import Event, Workspace
from backchannel.models.events import to_workspace
from backchannel.router import Main, ShardFor, Transaction
from backchannel.services import ServiceContext
from backchannel.services.crossdb import main_then_shards
from backchannel.services.messaging import messages
from backchannel.services.realtime import events
from backchannel.services.tenancy import workspaces
from backchannel.storage.engines.engine import create_engines
from backchannel.storage.schema import events as event_table
from tests.conftest import Acme, dev_channel
from tests.services.test_events_messages import listen, log_head


class Refused(Exception):
    pass


def hello(workspace_id: str) -> Event:
    return to_workspace(workspace_id, {"type": "hello_there", "event_ts": "1.000000"})


async def elsewhere(ctx: ServiceContext, acme: Acme) -> Workspace:
    """A workspace on the other shard than acme's."""
    workspace = await workspaces.create_workspace(ctx, name="Globex", domain="globex")
    assert (await ctx.router.assignment(workspace.id)).db_shard != acme.db_shard
    return workspace


async def test_an_event_of_a_workspace_on_another_shard_is_refused_at_once(
    ctx: ServiceContext, acme: Acme
) -> None:
    globex = await elsewhere(ctx, acme)
    heads = [await log_head(ctx, acme.workspace.id), await log_head(ctx, globex.id)]
    heard = await listen(ctx)
    with pytest.raises(events.WrongLog, match=f"{globex.id} .* on shard {acme.db_shard}"):
        async with ctx.router.write(ShardFor(acme.workspace.id)) as txn:
            await events.append_txn(ctx, txn, hello(globex.id))
    with pytest.raises(events.WrongLog, match="on the main database"):
        async with ctx.router.write(Main()) as txn:
            await events.append_txn(ctx, txn, hello(acme.workspace.id))
    assert heard.events == []
    assert [await log_head(ctx, acme.workspace.id), await log_head(ctx, globex.id)] == heads


async def test_an_event_of_another_workspace_of_the_same_shard_is_welcome(
    ctx: ServiceContext, acme: Acme
) -> None:
    await elsewhere(ctx, acme)
    initech = await workspaces.create_workspace(ctx, name="Initech", domain="initech")
    assert (await ctx.router.assignment(initech.id)).db_shard == acme.db_shard
    heard = await listen(ctx)
    async with ctx.router.write(ShardFor(acme.workspace.id)) as txn:
        stored = await events.append_txn(ctx, txn, hello(initech.id))
    assert stored.position is not None and stored.position.stream == acme.db_shard
    assert heard.events == [stored]


async def test_an_event_of_a_rolled_back_write_is_never_published_nor_kept(
    ctx: ServiceContext, acme: Acme
) -> None:
    head = await log_head(ctx, acme.workspace.id)
    heard = await listen(ctx)
    with pytest.raises(Refused):
        async with ctx.router.write(ShardFor(acme.workspace.id)) as txn:
            appended = await events.append_txn(ctx, txn, hello(acme.workspace.id))
            assert appended.position is not None and appended.position.seq == head.seq + 1
            raise Refused
    assert heard.events == []
    assert await log_head(ctx, acme.workspace.id) == head
    assert await events.read_stream(ctx, head, limit=10) == []


def _in_log(url: URL, seq: int) -> bool:
    """Whether a new connection of its own (in this thread, on a loop of its own) finds
    the event `seq` in the log at `url`: only what is committed is there to find."""

    async def look() -> bool:
        engines = create_engines(url)
        try:
            async with engines.read() as conn:
                found = await conn.scalar(select(event_table.c.seq).where(event_table.c.seq == seq))
            return found is not None
        finally:
            await engines.dispose()

    return asyncio.run(look())


async def test_an_event_is_published_only_once_its_commit_is_durable(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    shard = ctx.router.shard_map.current.db_shards[acme.db_shard]
    url = ctx.router.pools.engines_for(shard).url
    found: list[bool] = []
    with ThreadPoolExecutor(1) as pool:

        def on_publish(_subject: str, data: bytes) -> None:
            # While the bus hands the event over: the writer waits for this.
            position = decode_event(data).position
            assert position is not None
            found.append(pool.submit(_in_log, url, position.seq).result())

        await ctx.bus.subscribe("bc.events.>", on_publish)
        root = await messages.post_message(
            ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=dev, text="a"
        )
        heard = await listen(ctx)
        async with ctx.router.write(ShardFor(acme.workspace.id)) as txn:
            await events.append_txn(ctx, txn, hello(acme.workspace.id))
            assert heard.events == []  # appended, not committed: not published yet
        assert len(heard.events) == 1
        await messages.post_message(
            ctx,
            workspace_id=acme.workspace.id,
            user_id=acme.alice.user.id,
            channel_id=dev,
            text="b",
            thread_ts=root.ts,
        )
    assert found == [True] * 4  # the post, hello_there, the reply and its message_replied


async def test_an_event_goes_out_when_its_own_transaction_commits_whatever_encloses_it(
    ctx: ServiceContext, acme: Acme
) -> None:
    globex = await elsewhere(ctx, acme)
    heard = await listen(ctx)
    with pytest.raises(Refused):
        async with ctx.router.write(ShardFor(acme.workspace.id)):
            async with ctx.router.write(ShardFor(globex.id)) as inner:
                stored = await events.append_txn(ctx, inner, hello(globex.id))
            assert heard.events == [stored]  # before the enclosing transaction ends
            raise Refused  # which rolls back: the inner one has committed
    assert heard.events == [stored]
    assert stored.position is not None
    assert await log_head(ctx, globex.id) == stored.position


async def test_a_change_across_databases_publishes_once_the_main_db_has_committed(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)

    async def nothing_to_undo(_txn: object) -> None:
        pass

    async with main_then_shards(ctx) as (_, open_shard):
        async with open_shard(ShardFor(acme.workspace.id), nothing_to_undo) as txn:
            stored = await events.append_txn(ctx, txn, hello(acme.workspace.id))
        assert heard.events == []  # the shard has committed; the change has not
    assert heard.events == [stored]


async def test_a_change_that_fails_after_its_shard_committed_publishes_it_with_its_undo(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)
    bye = to_workspace(acme.workspace.id, {"type": "goodbye_there", "event_ts": "2.000000"})

    async def undo(txn: Transaction) -> None:
        await events.append_txn(ctx, txn, bye)

    with pytest.raises(Refused):
        async with main_then_shards(ctx) as (_, open_shard):
            async with open_shard(ShardFor(acme.workspace.id), undo) as txn:
                await events.append_txn(ctx, txn, hello(acme.workspace.id))
            raise Refused  # the main DB rolls back: the shard's write is undone
    # Both are in the shard's log, in this order: the bus carries what the log holds.
    assert heard.kinds() == ["hello_there", "goodbye_there"]
