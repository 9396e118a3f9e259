"""A live server over the parametrised storage, and Slack SDK clients for its people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.app import Backchannel
from backchannel.models import Workspace
from backchannel.services import ServiceContext
from backchannel.services.people import users
from backchannel.services.tenancy import organisations, workspaces
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
    ms_shard: str  # where the shard map put it


@pytest.fixture
async def globex(ctx: ServiceContext) -> Globex:
    workspace = await workspaces.create_workspace(ctx, name="Globex", domain="globex")
    eve = await users.create_user(ctx, workspace="globex", email="eve@globex.test", name="Eve")
    return Globex(workspace, eve, (await ctx.router.assignment(workspace.id)).ms_shard)


INITECH_PASSWORD = "initech-pass"


@dataclass
class Initech:
    """An organisation of two workspaces: olivia administers it, peter sits in HQ, sam in
    Labs."""

    hq: Workspace
    labs: Workspace
    olivia: users.NewUser
    peter: users.NewUser
    sam: users.NewUser


@pytest.fixture
async def initech(ctx: ServiceContext) -> Initech:
    org = await workspaces.create_org(ctx, name="Initech")
    hq = await workspaces.create_workspace(ctx, name="Initech HQ", domain="initech", org_id=org.id)
    labs = await workspaces.create_workspace(
        ctx, name="Initech Labs", domain="initech-labs", org_id=org.id
    )

    async def person(workspace: Workspace, name: str, password: str | None) -> users.NewUser:
        email = f"{name.lower()}@initech.test"
        return await users.create_user(
            ctx, workspace=workspace.id, email=email, name=name, password=password
        )

    olivia = await person(hq, "Olivia", INITECH_PASSWORD)
    await organisations.make_org_admin(ctx, org_id=org.id, user_id=olivia.user.id)
    peter = await person(hq, "Peter", INITECH_PASSWORD)
    # Sam never signs in: a password hash costs about 0.1-0.4 s of CPU.
    return Initech(hq, labs, olivia, peter, await person(labs, "Sam", None))


@pytest.fixture
def olivia(server: str, initech: Initech) -> ValidatingAsyncWebClient:
    return client_for(server, initech.olivia.token)


@pytest.fixture
async def dev(ctx: ServiceContext, acme: Acme) -> str:
    """#dev, a public channel with alice and bob in it."""
    return await dev_channel(ctx, acme)


async def error_of(call: Awaitable[Any]) -> str:
    """The Slack error string a call fails with."""
    with pytest.raises(SlackApiError) as failed:
        await call
    return str(failed.value.response["error"])


async def answer(
    client: ValidatingAsyncWebClient, method: str, args: dict[str, Any], *, in_body: bool = False
) -> dict:
    """A method's whole reply, ok or not (for tables of methods); the arguments in the query
    string, or in a form body (`in_body`: for one too long for a URL)."""
    where = "data" if in_body else "params"
    try:
        reply = (await client.api_call(method, **{where: args})).data
    except SlackApiError as refused:
        reply = refused.response.data
    assert isinstance(reply, dict)
    return reply


async def post(
    client: ValidatingAsyncWebClient, channel: str, text: str = "hi", **args: Any
) -> str:
    """Post through the API; the new message's ts."""
    return str((await client.chat_postMessage(channel=channel, text=text, **args))["ts"])


@pytest.fixture
def eve(server: str, globex: Globex) -> ValidatingAsyncWebClient:
    return client_for(server, globex.eve.token)
