"""The edge follows each shard's log: in order, each event once, even when the bus is not."""

from __future__ import annotations

from backchannel.bus import events_subject
from backchannel.bus.codec import encode_event
from backchannel.models import Event
from backchannel.models.events import to_channel
from backchannel.router import ShardFor
from backchannel.services import ServiceContext
from backchannel.storage.log.events import append_event_txn
from tests.conftest import Acme
from tests.edge.conftest import Connect, info


async def logged(ctx: ServiceContext, acme: Acme, channel_id: str, text: str) -> Event:
    """A message event in the log, as a writer would append it, but not published."""
    stream = (await ctx.router.assignment(acme.workspace.id)).db_shard
    payload = {"type": "message", "channel": channel_id, "text": text, "ts": text}
    async with ctx.router.write(ShardFor(acme.workspace.id)) as conn:
        event = to_channel(acme.workspace.id, channel_id, payload)
        return await append_event_txn(conn, stream, event, ctx.clock())


async def publish(ctx: ServiceContext, event: Event) -> None:
    assert event.position is not None
    await ctx.bus.publish(events_subject(event.position.stream), encode_event(event))


async def test_events_published_out_of_order_arrive_in_order(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    bob = await connect(info(acme, "bob"))
    first, second = await logged(ctx, acme, dev, "1.0"), await logged(ctx, acme, dev, "2.0")
    await publish(ctx, second)
    await publish(ctx, first)
    assert [event["text"] for event in await bob.messages(2)] == ["1.0", "2.0"]
    await publish(ctx, await logged(ctx, acme, dev, "3.0"))
    assert await bob.before(type="message", text="3.0") == []  # neither came twice


async def test_an_event_the_bus_lost_is_read_from_the_log(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    bob = await connect(info(acme, "bob"))
    await logged(ctx, acme, dev, "1.0")  # its publisher died after the commit
    await publish(ctx, await logged(ctx, acme, dev, "2.0"))
    assert [event["text"] for event in await bob.messages(2)] == ["1.0", "2.0"]


async def test_a_last_event_that_was_never_published_still_arrives(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    bob = await connect(info(acme, "bob"))
    await logged(ctx, acme, dev, "1.0")  # nothing follows it on the bus
    assert (await bob.next("message"))["text"] == "1.0"
