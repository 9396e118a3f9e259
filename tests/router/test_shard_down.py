"""One PostgreSQL shard stopped (its server killed, as a crash would): only the workspaces on
it get errors, Slack-style (HTTP 503 service_unavailable), at once; every other workspace
keeps working; and when the server is back, so is its workspace, with no process
restarted. Through the Web API on a real server, with Slack's SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.app import Backchannel
from backchannel.config import StorageSettings
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.conftest import opened
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.postgres import PostgresCluster
from tests.support.server import live_server


@pytest.fixture
def lonely() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of its own, for the shard that will be stopped."""
    cluster = PostgresCluster(durable=True)  # it is killed, and must keep what it acknowledged
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def split(
    postgres: PostgresCluster, lonely: PostgresCluster, tmp_path: Path
) -> AsyncIterator[Backchannel]:
    """The main DB and shard-0 on the shared server, shard-1 on the lonely one."""
    storage = StorageSettings(
        data_dir=tmp_path / "data",
        database_url=postgres.create_database("main"),
        shard_urls=(postgres.create_database("shard"), lonely.create_database("shard")),
        pool_timeout=2.0,
    )
    async with opened(storage) as backchannel:
        yield backchannel


async def _member(backchannel: Backchannel, url: str, domain: str) -> ValidatingAsyncWebClient:
    ctx = backchannel.ctx
    workspace = await workspaces.create_workspace(ctx, name=domain.title(), domain=domain)
    person = await users.create_user(
        ctx, workspace=workspace.id, email=f"pat@{domain}.test", name="Pat"
    )
    return ValidatingAsyncWebClient(token=person.token, base_url=f"{url}/api/")


async def _general(client: ValidatingAsyncWebClient) -> str:
    listed = await client.conversations_list()
    return str(next(c["id"] for c in listed["channels"] if c["is_general"]))


async def test_a_stopped_shard_fails_only_its_own_workspaces(
    split: Backchannel, lonely: PostgresCluster
) -> None:
    async with live_server(split) as url:
        north = await _member(split, url, "north")  # shard-0: fewest workspaces, first name
        south = await _member(split, url, "south")  # shard-1, on the lonely server
        placed = split.ctx.router.shard_map.current.by_keyspace.values()
        assert sorted(a.db_shard for a in placed) == ["shard-0", "shard-1"]
        north_general, south_general = await _general(north), await _general(south)

        lonely.halt()
        with pytest.raises(SlackApiError) as failed:
            await south.conversations_history(channel=south_general)
        assert failed.value.response.status_code == 503
        assert failed.value.response["error"] == "service_unavailable"
        # North does not notice: it writes and reads as before.
        await north.chat_postMessage(channel=north_general, text="still here")
        history = await north.conversations_history(channel=north_general)
        assert history["messages"][0]["text"] == "still here"
        assert (await north.auth_test())["ok"] is True

        lonely.resume()
        await south.chat_postMessage(channel=south_general, text="back again")
        history = await south.conversations_history(channel=south_general)
        assert history["messages"][0]["text"] == "back again"
