"""Bolt for Python's getting-started app over Socket Mode, unchanged but for its base URL,
against a live webapp and edge (docs/apps.md): it hears what happens where its bot is, and
answers through the Web API."""

from __future__ import annotations

import asyncio
from typing import Any

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.conversations import channels
from tests.apps.conftest import StartBolt
from tests.conftest import Acme, dev_channel
from tests.support.clients import ValidatingAsyncWebClient

WAIT = 30.0  # seconds a Bolt process gets to start and answer (a bound, not a measure)


async def replies_by(
    client: ValidatingAsyncWebClient, channel: str, ts: str, user: str, count: int = 1
) -> list[dict[str, Any]]:
    """The thread's replies by `user`, once there are `count` of them."""
    async with asyncio.timeout(WAIT):
        while True:
            found = await client.conversations_replies(channel=channel, ts=ts)
            theirs = [m for m in found["messages"][1:] if m.get("user") == user]
            if len(theirs) >= count:
                return theirs
            await asyncio.sleep(0.1)


async def with_bot(ctx: ServiceContext, acme: Acme, app: installs.Installed) -> str:
    """#dev, with the app's bot invited by alice."""
    channel_id = await dev_channel(ctx, acme)
    await channels.invite_to_channel(
        ctx,
        workspace_id=acme.workspace.id,
        inviter=acme.alice.user.id,
        channel_id=channel_id,
        user_ids=[app.app.bot_user_id],
    )
    return channel_id


async def test_the_getting_started_app_answers_hello_in_the_thread(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    start_bolt: StartBolt,
) -> None:
    channel_id = await with_bot(ctx, acme, hello_app)
    await start_bolt("hello_socket_mode.py", hello_app)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello there")
    (reply,) = await replies_by(alice, channel_id, posted["ts"], hello_app.app.bot_user_id)
    assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    assert reply["bot_id"] == hello_app.app.bot_id


async def test_a_mention_and_a_reaction_reach_their_listeners(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    start_bolt: StartBolt,
) -> None:
    channel_id = await with_bot(ctx, acme, hello_app)
    await start_bolt("hello_socket_mode.py", hello_app)
    bot = hello_app.app.bot_user_id
    mention = await alice.chat_postMessage(channel=channel_id, text=f"<@{bot}> are you there?")
    (answer,) = await replies_by(alice, channel_id, mention["ts"], bot)
    assert answer["text"] == f"You mentioned me, <@{acme.alice.user.id}>"
    plain = await alice.chat_postMessage(channel=channel_id, text="nice work")
    await alice.reactions_add(channel=channel_id, timestamp=plain["ts"], name="tada")
    (thanks,) = await replies_by(alice, channel_id, plain["ts"], bot)
    assert thanks["text"] == "Thanks for the :tada:"
