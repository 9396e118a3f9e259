"""Events reach every socket of every member once, in order, and nobody else."""

from __future__ import annotations

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.messaging import messages
from tests.conftest import Acme
from tests.edge.conftest import Connect, info
from tests.webapp.conftest import Globex


async def say(
    ctx: ServiceContext, acme: Acme, channel_id: str, text: str, who: str = "alice"
) -> str:
    person = getattr(acme, who)
    message = await messages.post_message(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=person.user.id,
        channel_id=channel_id,
        text=text,
    )
    return message.ts


async def test_hello_comes_first_with_a_resume_token(connect: Connect, acme: Acme) -> None:
    rtm = await connect(info(acme, "alice"))
    hello = rtm.received[0]
    assert hello["type"] == "hello"
    assert "." in hello["resume"]


async def test_a_message_reaches_every_session_of_every_member(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    alice_phone, alice_laptop = (
        await connect(info(acme, "alice")),
        await connect(info(acme, "alice")),
    )
    bob = await connect(info(acme, "bob"))
    ts = await say(ctx, acme, dev, "hello team")
    for rtm in (alice_phone, alice_laptop, bob):
        event = await rtm.next("message")
        assert event["channel"] == dev
        assert event["text"] == "hello team"
        assert event["ts"] == ts
        assert event["user"] == acme.alice.user.id
        assert event["resume"]


async def test_messages_arrive_in_order_each_once(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    bob = await connect(info(acme, "bob"))
    sent = [await say(ctx, acme, dev, f"n{n}") for n in range(30)]
    last = await say(ctx, acme, dev, "last")
    got = await bob.before(type="message", ts=last)
    assert [(event["type"], event["ts"]) for event in got] == [("message", ts) for ts in sent]


async def test_private_channel_events_reach_members_only(
    ctx: ServiceContext, connect: Connect, acme: Acme
) -> None:
    secret = await channels.create_channel(
        ctx,
        workspace_id=acme.workspace.id,
        creator=acme.alice.user.id,
        name="secret",
        is_private=True,
    )
    alice, bob = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    await say(ctx, acme, secret.id, "just us")
    assert (await alice.next("message"))["text"] == "just us"
    assert [e for e in await bob.before_pong() if e.get("channel") == secret.id] == []


async def test_another_workspace_hears_nothing(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str, globex: Globex
) -> None:
    from backchannel.models import TokenInfo

    eve = await connect(TokenInfo(globex.eve.user.id, globex.workspace.id, "user"))
    bob = await connect(info(acme, "bob"))
    await say(ctx, acme, dev, "acme only")
    assert (await bob.next("message"))["text"] == "acme only"
    assert await eve.before_pong() == []


async def test_joining_and_leaving_change_what_arrives(
    ctx: ServiceContext, connect: Connect, acme: Acme, dev: str
) -> None:
    ops = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="ops"
    )
    bob = await connect(info(acme, "bob"))
    await say(ctx, acme, ops.id, "before bob")
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=ops.id
    )
    joined = await bob.next("member_joined_channel")
    assert joined["user"] == acme.bob.user.id and joined["channel"] == ops.id
    await say(ctx, acme, ops.id, "with bob")
    assert (await bob.next("message"))["text"] == "with bob"
    await channels.leave_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=ops.id
    )
    assert (await bob.next("member_left_channel"))["user"] == acme.bob.user.id
    await say(ctx, acme, ops.id, "after bob")
    last = await say(ctx, acme, dev, "in #dev, which bob is still in")
    assert [
        e for e in await bob.before(type="message", ts=last) if e.get("type") == "message"
    ] == []
    assert "before bob" not in [e.get("text") for e in bob.received]
