"""A workspace that moves to another DB shard (ops/moves.py): its sockets are told
`team_migration_started` and closed, rtm.connect and rtm.start answer
`migration_in_progress` while it is frozen, and once it serves from its new shard its
clients connect there and get its events (docs/realtime.md, Workspace moves)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from backchannel.app import Backchannel
from backchannel.edge import Edge
from backchannel.models import TokenInfo
from backchannel.models.topology import FROZEN, SERVING, PutAssignment
from backchannel.ops import moves
from backchannel.services import ServiceContext
from tests.conftest import Acme
from tests.edge.conftest import info
from tests.edge.test_fanout import say
from tests.support.rtm import RtmSocket, open_rtm, serving_edge, ticket_url
from tests.support.server import live_server
from tests.webapp.conftest import Globex, error_of

UNAVAILABLE, SERVICE_RESTART = 503, 1012
TOLD = (SERVICE_RESTART, "team_migration_started")


@dataclass
class Stage:
    edge: Edge
    edge_url: str
    api_url: str


@pytest.fixture
async def stage(deployment: Backchannel, acme: Acme) -> AsyncIterator[Stage]:
    """The Web API and one edge, which holds every workspace."""
    async with live_server(deployment) as api, serving_edge(deployment) as (edge, url):
        yield Stage(edge, url, f"{api}/api/")


async def put_acme(
    ctx: ServiceContext, acme: Acme, *, state: str = SERVING, db_shard: str | None = None
) -> None:
    """Change acme's assignment as a move does."""
    now = await ctx.router.assignment(acme.workspace.id)
    await ctx.router.change_topology(
        lambda _: [PutAssignment(replace(now, state=state, db_shard=db_shard or now.db_shard))]
    )


def eve_of(globex: Globex) -> TokenInfo:
    return TokenInfo(user_id=globex.eve.user.id, workspace_id=globex.workspace.id, kind="user")


async def still_served(rtm: RtmSocket) -> None:
    """The socket answers a ping, and got nothing but its hello before."""
    await rtm.send({"type": "ping", "id": 7})
    assert (await rtm.next("pong"))["reply_to"] == 7
    assert [event["type"] for event in rtm.received] == ["hello", "pong"]


def epoch(event: dict[str, Any]) -> str:
    """The log a resume token is from."""
    return str(event["resume"]).partition(".")[0]


async def connect_through_api(client: AsyncWebClient) -> RtmSocket:
    """rtm.connect, then its URL: a socket whose hello has arrived."""
    url = (await client.rtm_connect())["url"]
    rtm = RtmSocket(await ws_connect(url, max_size=None))
    assert (await rtm.next())["type"] == "hello"
    return rtm


async def test_a_frozen_workspaces_sockets_are_told_and_closed_and_others_are_not(
    ctx: ServiceContext, stage: Stage, acme: Acme, globex: Globex
) -> None:
    alice = await open_rtm(ctx, stage.edge_url, info(acme, "alice"))
    await alice.ask("client.boot")  # fills the edge's cache of acme
    eve = await open_rtm(ctx, stage.edge_url, eve_of(globex))
    assert acme.workspace.id in stage.edge.cache

    await put_acme(ctx, acme, state=FROZEN)
    assert (await alice.next())["type"] == "team_migration_started"
    assert await alice.wait_closed() == TOLD
    assert acme.workspace.id not in stage.edge.cache  # filled from the shard it leaves
    await still_served(eve)
    await eve.close()


async def test_rtm_connect_and_rtm_start_answer_migration_in_progress_while_frozen(
    ctx: ServiceContext, stage: Stage, acme: Acme
) -> None:
    client = AsyncWebClient(token=acme.alice.token, base_url=stage.api_url)  # Slack's own
    await put_acme(ctx, acme, state=FROZEN)
    assert await error_of(client.rtm_connect()) == "migration_in_progress"
    assert await error_of(client.rtm_start()) == "migration_in_progress"

    await put_acme(ctx, acme, state=SERVING)
    assert (await client.rtm_start())["ok"]
    rtm = await connect_through_api(client)
    await rtm.close()


async def test_the_edge_refuses_a_ticket_while_frozen_and_keeps_it(
    ctx: ServiceContext, stage: Stage, acme: Acme
) -> None:
    url = await ticket_url(ctx, stage.edge_url, info(acme, "alice"))  # given out before
    await put_acme(ctx, acme, state=FROZEN)
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(url)
    assert refused.value.response.status_code == UNAVAILABLE
    assert refused.value.response.body == b"migration_in_progress\n"

    await put_acme(ctx, acme, state=SERVING)
    connection = await ws_connect(url)  # not used up
    await connection.close()


async def test_a_new_db_shard_alone_tells_the_sockets_too(
    ctx: ServiceContext, stage: Stage, acme: Acme
) -> None:
    """An edge that missed the freeze (it saw only the switch) still lets go."""
    alice = await open_rtm(ctx, stage.edge_url, info(acme, "alice"))
    other = next(name for name in ctx.router.shard_map.current.db_shards if name != acme.db_shard)
    await put_acme(ctx, acme, db_shard=other)
    assert (await alice.next())["type"] == "team_migration_started"
    assert await alice.wait_closed() == TOLD


async def test_after_a_move_clients_connect_to_the_new_shard_and_get_its_events(
    ctx: ServiceContext, stage: Stage, acme: Acme, globex: Globex, dev: str
) -> None:
    bob = await open_rtm(ctx, stage.edge_url, info(acme, "bob"))
    eve = await open_rtm(ctx, stage.edge_url, eve_of(globex))
    target = next(name for name in ctx.router.shard_map.current.db_shards if name != acme.db_shard)
    await moves.move_workspace(ctx, acme.workspace.id, target, grace=0)
    assert (await bob.next())["type"] == "team_migration_started"
    assert await bob.wait_closed() == TOLD
    await still_served(eve)

    client = AsyncWebClient(token=acme.bob.token, base_url=stage.api_url)
    back = await connect_through_api(client)
    ts = await say(ctx, acme, dev, "from the new shard")
    event = await back.next("message")
    assert (event["ts"], event["text"]) == (ts, "from the new shard")
    assert epoch(event) == epoch(back.received[0]) != epoch(bob.received[0])  # the new log
    await back.close()
    await eve.close()
