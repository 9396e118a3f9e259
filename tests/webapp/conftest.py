"""A live server over the parametrised storage, and Slack SDK clients for its people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.app import Backchannel
from backchannel.models import Workspace
from backchannel.services import ServiceContext, users, workspaces
from tests.conftest import Acme, dev_channel
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.server import live_server


@pytest.fixture
async def server(deployment: Backchannel, acme: Acme) -> AsyncIterator[str]:
    """The base URL of a real server (acme already exists)."""
    async with live_server(deployment) as url:
        yield url


def client_for(server: str, token: str) -> ValidatingAsyncWebClient:
    return ValidatingAsyncWebClient(token=token, base_url=f"{server}/api/")


@pytest.fixture
def alice(server: str, acme: Acme) -> ValidatingAsyncWebClient:
    return client_for(server, acme.alice.token)


@pytest.fixture
def bob(server: str, acme: Acme) -> ValidatingAsyncWebClient:
    return client_for(server, acme.bob.token)


@dataclass
class Globex:
    """Another workspace, for tenant isolation: eve must never reach into acme."""

    workspace: Workspace
    eve: users.NewUser


@pytest.fixture
async def globex(ctx: ServiceContext) -> Globex:
    workspace = await workspaces.create_workspace(ctx, name="Globex", domain="globex")
    eve = await users.create_user(ctx, workspace="globex", email="eve@globex.test", name="Eve")
    return Globex(workspace, eve)


@pytest.fixture
async def dev(ctx: ServiceContext, acme: Acme) -> str:
    """#dev, a public channel with alice and bob in it."""
    return await dev_channel(ctx, acme)


async def error_of(call: Awaitable[Any]) -> str:
    """The Slack error string a call fails with."""
    with pytest.raises(SlackApiError) as failed:
        await call
    return str(failed.value.response["error"])


async def post(
    client: ValidatingAsyncWebClient, channel: str, text: str = "hi", **args: Any
) -> str:
    """Post through the API; the new message's ts."""
    return str((await client.chat_postMessage(channel=channel, text=text, **args))["ts"])


@pytest.fixture
def eve(server: str, globex: Globex) -> ValidatingAsyncWebClient:
    return client_for(server, globex.eve.token)
