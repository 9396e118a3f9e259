"""Slack's own RTM client (slack_sdk.rtm_v2) connects through rtm.connect and gets events."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.rtm_v2 import RTMClient

from backchannel.app import Backchannel
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.people import users
from tests.conftest import Acme
from tests.edge.test_fanout import say
from tests.support.rtm import live_edge
from tests.support.server import live_server


@pytest.fixture
async def api_url(deployment: Backchannel, acme: Acme) -> AsyncIterator[str]:
    async with live_server(deployment) as url, live_edge(deployment):
        yield f"{url}/api/"


async def test_slack_sdk_rtm_client_receives_messages_unchanged(
    ctx: ServiceContext, api_url: str, acme: Acme, dev: str
) -> None:
    bot = await users.create_bot(ctx, workspace="acme", name="Deploy Bot")
    await channels.invite_to_channel(
        ctx,
        workspace_id=acme.workspace.id,
        inviter=acme.alice.user.id,
        channel_id=dev,
        user_ids=[bot.user.id],
    )
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    client = RTMClient(token=bot.token, base_url=api_url, ping_interval=5)

    @client.on("message")
    def on_message(_: RTMClient, event: dict[str, Any]) -> None:
        received.put(event)

    await asyncio.to_thread(client.connect)
    try:
        ts = await say(ctx, acme, dev, "hello, bot")
        event = await asyncio.to_thread(received.get, timeout=10)
        assert (event["channel"], event["text"], event["ts"]) == (dev, "hello, bot", ts)
        assert event["user"] == acme.alice.user.id
    finally:
        client.auto_reconnect_enabled = False  # or its monitor thread keeps reconnecting
        await asyncio.to_thread(client.close)
