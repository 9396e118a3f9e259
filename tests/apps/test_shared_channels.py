"""An app in a channel shared between workspaces (docs/apps.md): installed in Initech Labs,
its bot in HQ's #projects shared with Labs, it hears what HQ's people say there, and
nothing of HQ's own channels."""

from __future__ import annotations

import orjson
from websockets.asyncio.client import connect as ws_connect

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from tests.apps.conftest import HELLO_MANIFEST
from tests.apps.test_user_events import events_of
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Initech, client_for, initech, olivia  # noqa: F401  (fixtures)


async def test_an_app_hears_a_shared_channel_and_nothing_else_of_the_other_workspace(
    ctx: ServiceContext,
    server: str,
    initech: Initech,  # noqa: F811
    olivia: ValidatingAsyncWebClient,  # noqa: F811
    edge_url: str,
) -> None:
    projects = (await olivia.conversations_create(name="projects"))["channel"]["id"]
    hq_only = (await olivia.conversations_create(name="hq-only"))["channel"]["id"]
    await olivia.admin_conversations_setTeams(
        channel_id=projects, team_id=initech.hq.id, target_team_ids=initech.labs.id
    )
    app = await installs.create_app(ctx, workspace=initech.labs.id, manifest=HELLO_MANIFEST)
    sam = client_for(server, initech.sam.token)
    await sam.conversations_join(channel=projects)
    await sam.conversations_invite(channel=projects, users=app.app.bot_user_id)
    app_client = client_for(server, app.app_token)
    opened = await app_client.apps_connections_open(app_token=app.app_token)
    async with ws_connect(opened["url"]) as socket:
        assert orjson.loads(await socket.recv())["type"] == "hello"
        await olivia.chat_postMessage(channel=hq_only, text="hq's own business")
        await olivia.chat_postMessage(channel=projects, text="hello labs")
        (heard,) = await events_of(socket, 1)  # the first it hears is the shared one
    assert heard["team_id"] == initech.labs.id
    assert heard["event"]["text"] == "hello labs"
    assert heard["event"]["user"] == initech.olivia.user.id
    assert heard["is_ext_shared_channel"] is False  # shared within one organisation
