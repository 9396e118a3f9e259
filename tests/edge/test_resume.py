"""Resuming: a client that comes back with its last token gets what it missed, once, in order."""

from __future__ import annotations

import time

from websockets.asyncio.client import connect as ws_connect

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.realtime import events as event_service
from tests.conftest import Acme
from tests.edge.conftest import Connect, info
from tests.edge.test_fanout import say
from tests.support.rtm import RtmSocket, ticket_url


async def goes_away(connect: Connect, acme: Acme) -> str:
    """Bob connects and leaves at once; the token his hello gave him."""
    bob = await connect(info(acme, "bob"))
    await bob.close()
    return str(bob.received[0]["resume"])


async def test_a_client_back_after_a_gap_gets_every_missed_event_once(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    bob = await connect(info(acme, "bob"))
    first = await say(ctx, acme, dev, "seen")
    token = (await bob.next("message"))["resume"]
    await bob.close()
    missed = [await say(ctx, acme, dev, f"missed {n}") for n in range(5)]
    back = await connect(info(acme, "bob"), resume=token)
    assert back.received[0]["resume"] == token  # hello: where it resumes from
    got = await back.messages(5)
    assert [event["ts"] for event in got] == missed
    assert first not in [event["ts"] for event in got]
    live = await say(ctx, acme, dev, "live again")
    assert (await back.next("message"))["ts"] == live
    last = await say(ctx, acme, dev, "last")
    assert [
        e for e in await back.before(type="message", ts=last) if e.get("type") == "message"
    ] == []


async def test_the_hello_token_alone_is_enough_to_resume(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    token = await goes_away(connect, acme)
    ts = await say(ctx, acme, dev, "while away")
    back = await connect(info(acme, "bob"), resume=token)
    assert (await back.next("message"))["ts"] == ts


async def test_resuming_shows_a_channel_joined_meanwhile_from_the_join_on(
    ctx: ServiceContext, connect: Connect, acme: Acme
) -> None:
    ops = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="ops"
    )
    token = await goes_away(connect, acme)
    await say(ctx, acme, ops.id, "before the join")
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=ops.id
    )
    await say(ctx, acme, ops.id, "after the join")
    back = await connect(info(acme, "bob"), resume=token)
    assert (await back.next("member_joined_channel"))["channel"] == ops.id
    assert (await back.next("message"))["text"] == "after the join"
    await back.before_pong()  # the catch-up is written before the pong
    assert "before the join" not in [e.get("text") for e in back.received]


async def test_resuming_shows_a_channel_left_meanwhile_up_to_the_leave(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    token = await goes_away(connect, acme)
    await say(ctx, acme, dev, "before the leave")
    await channels.leave_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=dev
    )
    await say(ctx, acme, dev, "after the leave")
    back = await connect(info(acme, "bob"), resume=token)
    assert (await back.next("message"))["text"] == "before the leave"
    assert (await back.next("member_left_channel"))["user"] == acme.bob.user.id
    await back.before_pong()  # the catch-up is written before the pong
    assert "after the leave" not in [e.get("text") for e in back.received]


async def test_a_token_from_another_log_is_limited(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    back = await connect(info(acme, "bob"), resume="00000000.5")
    hello = back.received[0]
    assert hello["limited"] is True
    ts = await say(ctx, acme, dev, "live")
    assert (await back.next("message"))["ts"] == ts


async def test_past_the_retention_the_server_says_limited(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    token = await goes_away(connect, acme)
    await say(ctx, acme, dev, "soon forgotten")
    assert await event_service.prune(ctx, retention_seconds=-60) > 0
    back = await connect(info(acme, "bob"), resume=token)
    assert back.received[0]["limited"] is True
    assert [e for e in await back.before_pong() if e.get("type") == "message"] == []


async def test_what_happens_between_the_ticket_and_the_socket_is_not_lost(
    ctx: ServiceContext, edge_url: str, acme: Acme, dev: str
) -> None:
    url = await ticket_url(ctx, edge_url, info(acme, "bob"))  # rtm.start / rtm.connect
    ts = await say(ctx, acme, dev, "between boot and socket")
    bob = RtmSocket(await ws_connect(url))
    try:
        assert (await bob.next())["type"] == "hello"
        assert (await bob.next("message"))["ts"] == ts
    finally:
        await bob.close()


async def test_a_client_gone_for_a_day_resumes_within_the_retention(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    token = await goes_away(connect, acme)
    yesterday = ServiceContext(ctx.router, lambda: time.time() - 86_400, bus=ctx.bus)
    missed = [await say(yesterday, acme, dev, f"yesterday {n}") for n in range(3)]
    assert await event_service.prune(ctx, retention_seconds=7 * 86_400) == 0
    back = await connect(info(acme, "bob"), resume=token)
    assert "limited" not in back.received[0]
    assert [event["ts"] for event in await back.messages(3)] == missed


async def test_a_long_absence_is_sent_page_by_page_in_order(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    token = await goes_away(connect, acme)
    missed = [await say(ctx, acme, dev, f"m{n}") for n in range(event_service.CATCH_UP_PAGE + 20)]
    back = await connect(info(acme, "bob"), resume=token)
    got = await back.messages(len(missed))
    assert [event["ts"] for event in got] == missed
