"""An app's user events (docs/apps.md): installed by a person through apps.manifest.create
with user scopes, it gets a token of theirs, and the events of the conversations they are
in come to it as user events (authorized as them); where its bot is too, as the bot's
event, once."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import yaml
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from tests.apps.conftest import HELLO_MANIFEST, WAIT
from tests.conftest import Acme, dev_channel
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import bob, client_for  # noqa: F401  (a fixture)

WITH_USER_EVENTS = yaml.safe_load(HELLO_MANIFEST)
WITH_USER_EVENTS["oauth_config"]["scopes"]["user"] = ["channels:history"]
WITH_USER_EVENTS["settings"]["event_subscriptions"]["user_events"] = ["message.channels"]


async def events_of(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next `count` events_api payloads, each acknowledged."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(WAIT):
        while len(found) < count:
            envelope = orjson.loads(await socket.recv())
            if envelope.get("type") == "events_api":
                await socket.send(orjson.dumps({"envelope_id": envelope["envelope_id"]}).decode())
                found.append(envelope["payload"])
    return found


async def test_the_installers_conversations_come_as_user_events(
    ctx: ServiceContext,
    acme: Acme,
    server: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,  # noqa: F811
    edge_url: str,
) -> None:
    made = await alice.apps_manifest_create(manifest=WITH_USER_EVENTS)
    assert made["user_token"].startswith("xoxp-")
    quiet = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="quiet"
    )
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=quiet.id
    )
    shared = await dev_channel(ctx, acme)
    await alice.conversations_invite(channel=shared, users=made["bot_user_id"])
    app_client = client_for(server, made["app_token"])
    async with ws_connect(
        (await app_client.apps_connections_open(app_token=made["app_token"]))["url"]
    ) as socket:
        assert orjson.loads(await socket.recv())["type"] == "hello"
        await bob.chat_postMessage(channel=quiet.id, text="where only alice is")
        await bob.chat_postMessage(channel=shared, text="where the bot is too")
        by_alice, by_bot = await events_of(socket, 2)
    assert by_alice["event"]["text"] == "where only alice is"
    assert by_alice["authorizations"][0] == {
        "enterprise_id": None,
        "team_id": acme.workspace.id,
        "user_id": acme.alice.user.id,
        "is_bot": False,
        "is_enterprise_install": False,
    }
    assert by_bot["event"]["text"] == "where the bot is too"  # once, as the bot's
    assert by_bot["authorizations"][0]["user_id"] == made["bot_user_id"]
