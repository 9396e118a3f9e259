"""An edge serves only the workspaces it owns (docs/edge-cache.md, Routing): a ticket of
another edge's workspace is refused without being used up, and the sockets of a workspace
that moves away get goodbye and close 1001, then resume elsewhere with nothing lost."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import load_config_file
from backchannel.errors import ConfigError
from backchannel.models import EdgeInfo
from backchannel.services import ServiceContext
from backchannel.services.messaging import messages
from backchannel.services.realtime import edges
from tests.conftest import Acme
from tests.edge.conftest import info
from tests.support.rtm import listening, open_rtm, serving_edge, ticket_for

MISDIRECTED, GOING_AWAY = 421, 1001


def loser_and_winner(acme: Acme) -> tuple[tuple[socket.socket, str], str]:
    """Two edge addresses, ranked for acme by rendezvous hashing: one always outranks the
    other, whatever the ports and the workspace's id. The loser's socket, to serve an edge
    on, and the winner's URL (its port closed again: nothing connects to it)."""
    one, two = listening(), listening()
    pair = [EdgeInfo(url, None, 0.0, 0.0, 2.0) for _, url in (one, two)]
    found = edges.choose_owner(acme.workspace.id, acme.ms_shard, pair)
    assert found is not None
    loser, winner = (one, two) if found.url == two[1] else (two, one)
    winner[0].close()
    return loser, winner[1]


async def test_a_ticket_for_another_edges_workspace_is_refused_and_kept(
    deployment: Backchannel, ctx: ServiceContext, acme: Acme
) -> None:
    async with serving_edge(deployment) as (_, one), serving_edge(deployment) as (_, two):
        owner = await edges.edge_url(ctx, acme.workspace.id)
        other = two if owner == one else one
        ticket = await ticket_for(ctx, info(acme, "alice"))
        with pytest.raises(InvalidStatus) as refused:
            await ws_connect(f"{other}/?ticket={ticket}")
        assert refused.value.response.status_code == MISDIRECTED
        connection = await ws_connect(f"{owner}/?ticket={ticket}")  # still good
        await connection.close()


async def test_a_workspace_that_moves_away_gets_goodbye_and_resumes_without_loss(
    deployment: Backchannel, ctx: ServiceContext, acme: Acme, dev: str
) -> None:
    here, there = loser_and_winner(acme)
    async with serving_edge(deployment, here) as (edge, url):
        alice = await open_rtm(ctx, url, info(acme, "alice"))
        token = alice.received[0]["resume"]
        newcomer = await edges.register_edge(ctx, None, there, heartbeat_seconds=2.0)
        await edge.check_ownership()  # what the heartbeat does every 2 s
        assert (await alice.next())["type"] == "goodbye"
        assert (await alice.wait_closed())[0] == GOING_AWAY
        missed = await messages.post_message(
            ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=dev, text="hi"
        )
        with pytest.raises(InvalidStatus):  # not this edge's any more
            await open_rtm(ctx, url, info(acme, "alice"), resume=token)

        await edges.unregister_edge(ctx, newcomer)  # it went again: acme is back
        assert await edge.check_ownership() == []
        back = await open_rtm(ctx, url, info(acme, "alice"), resume=token)
        assert (await back.next("message"))["ts"] == missed.ts
        await back.close()


async def test_an_edge_is_live_while_it_runs_and_gone_when_it_stops(
    deployment: Backchannel, ctx: ServiceContext
) -> None:
    async with serving_edge(deployment) as (_, url):
        [me] = await edges.live_edges(ctx)
        assert (me.url, me.ms_shards, me.heartbeat_seconds) == (url, None, 2.0)
    assert await edges.live_edges(ctx) == ()  # unregistered: its workspaces move at once


async def test_the_heartbeat_is_a_setting_above_zero(
    deployment: Backchannel, tmp_path: Path
) -> None:
    config = tmp_path / "backchannel.toml"
    config.write_text("[server]\nedge_heartbeat_seconds = 0.5\n")
    assert load_config_file(config).server.edge_heartbeat_seconds == 0.5
    server = replace(deployment.settings.server, edge_heartbeat_seconds=0)
    with pytest.raises(ConfigError, match="edge_heartbeat_seconds must be above 0, got 0"):
        await open_backchannel(replace(deployment.settings, server=server))
