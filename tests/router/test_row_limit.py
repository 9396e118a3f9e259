"""Row-limit protection (storage/engines/row_limit.py): a read that would return more than
`max_rows` rows fails with a clear error after at most max_rows + 1 of them, on every path
(the Web API included); reads under the limit, and the few unbounded ones, are unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import Settings
from backchannel.errors import ConfigError
from backchannel.router import ShardFor
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from backchannel.storage.engines.row_limit import RowLimitExceeded
from backchannel.storage.schema import users as user_table
from tests.conftest import StorageFactory, opened
from tests.router.test_consolidation import statements_about
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.server import live_server

MAX_ROWS = 3


@pytest.fixture
async def limited(make_storage: StorageFactory) -> AsyncIterator[Backchannel]:
    async with opened(replace(make_storage(), max_rows=MAX_ROWS)) as backchannel:
        yield backchannel


async def test_a_read_past_the_limit_fails_after_limit_plus_one_rows(limited: Backchannel) -> None:
    ctx = limited.ctx
    workspace = await workspaces.create_workspace(ctx, name="Crowd", domain="crowd")
    for n in range(5):
        await users.create_user(ctx, workspace="crowd", email=f"p{n}@crowd.test", name=f"P {n}")
    everyone = select(user_table.c.id).where(user_table.c.workspace_id == workspace.id)
    with statements_about("users") as seen, pytest.raises(RowLimitExceeded) as failed:
        async with ctx.router.read(ShardFor(workspace.id)) as conn:
            await conn.execute(everyone)
    assert f"more than {MAX_ROWS} rows" in str(failed.value)
    assert "LIMIT" in seen[0]  # the read asked for no limit: the router added one
    async with ctx.router.read(ShardFor(workspace.id)) as conn:
        few = (await conn.execute(everyone.limit(MAX_ROWS))).all()
    assert len(few) == MAX_ROWS
    with pytest.raises(RowLimitExceeded):  # a LIMIT of its own above max_rows: counted
        async with ctx.router.read(ShardFor(workspace.id)) as conn:
            await conn.execute(everyone.limit(MAX_ROWS + 1))
    async with ctx.router.read(ShardFor(workspace.id), unbounded=True) as conn:
        assert len((await conn.execute(everyone)).all()) == 5


async def test_the_web_api_answers_a_read_past_the_limit_with_a_slack_error(
    limited: Backchannel,
) -> None:
    ctx = limited.ctx
    await workspaces.create_workspace(ctx, name="Crowd", domain="crowd")
    people = [
        await users.create_user(ctx, workspace="crowd", email=f"p{n}@crowd.test", name=f"P {n}")
        for n in range(5)
    ]
    async with live_server(limited) as url:
        client = ValidatingAsyncWebClient(token=people[0].token, base_url=f"{url}/api/")
        assert (await client.users_info(user=people[1].user.id))["user"]["name"]  # small: fine
        with pytest.raises(SlackApiError) as failed:
            await client.users_list(limit=100)
        assert failed.value.response["error"] == "fatal_error"


async def test_a_limit_below_one_is_refused(make_storage: StorageFactory) -> None:
    with pytest.raises(ConfigError, match="max_rows"):
        await open_backchannel(Settings(storage=replace(make_storage(), max_rows=0)))
