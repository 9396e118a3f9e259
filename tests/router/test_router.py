"""The router: ids to shards, the shard map cache, one pool per shard."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import Settings
from backchannel.errors import InvalidArgument, NotFound
from backchannel.router import AllShards, Shard, ShardFor
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from backchannel.storage.schema import channels as channel_table
from backchannel.storage.schema import users as user_table
from backchannel.types import new_keyed_id
from tests.conftest import Acme, StorageFactory


async def test_every_id_of_a_workspace_routes_to_its_one_shard(ctx: ServiceContext) -> None:
    made = [
        await workspaces.create_workspace(ctx, name=f"Team {n}", domain=f"team{n}")
        for n in range(4)
    ]
    for workspace in made:
        person = await users.create_user(
            ctx, workspace=workspace.id, email=f"p@{workspace.domain}.test", name="Pat"
        )
        channel = await channels.create_channel(
            ctx, workspace_id=workspace.id, creator=person.user.id, name="plans"
        )
        home = (await ctx.router.assignment(workspace.id)).db_shard
        for keyed_id in (workspace.id, person.user.id, channel.id):
            shard = await ctx.router.resolve(ShardFor(keyed_id))
            assert shard is not None and shard.name == home

    async def users_per_workspace(_: str, conn: object) -> dict[str, int]:
        query = select(user_table.c.workspace_id, func.count()).group_by(user_table.c.workspace_id)
        return {row[0]: row[1] for row in await conn.execute(query)}  # type: ignore[attr-defined]

    on_shard = await ctx.router.scatter(AllShards(), users_per_workspace)
    for workspace in made:
        holders = [name for name, counts in on_shard.items() if workspace.id in counts]
        assert holders == [(await ctx.router.assignment(workspace.id)).db_shard]


async def test_workspaces_go_to_the_least_loaded_shards(ctx: ServiceContext) -> None:
    made = [
        await workspaces.create_workspace(ctx, name=f"Team {n}", domain=f"team{n}")
        for n in range(5)
    ]
    placed = [await ctx.router.assignment(w.id) for w in made]
    assert [a.db_shard for a in placed] == ["shard-0", "shard-1", "shard-0", "shard-1", "shard-0"]
    assert [a.ms_shard for a in placed] == ["ms-0", "ms-1", "ms-0", "ms-1", "ms-0"]
    assert [w.keyspace for w in made] == [1, 2, 3, 4, 5]


async def test_each_workspace_gets_a_general_channel_on_its_shard(
    ctx: ServiceContext, acme: Acme
) -> None:
    home = (await ctx.router.assignment(acme.workspace.id)).db_shard
    async with ctx.router.read(Shard(home)) as conn:
        names = (
            (
                await conn.execute(
                    select(channel_table.c.name).where(
                        channel_table.c.workspace_id == acme.workspace.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert names == ["general"]


async def test_one_pool_per_shard(ctx: ServiceContext) -> None:
    shard_map = ctx.router.shard_map.current
    pools = {
        name: ctx.router.pools.engines_for(shard) for name, shard in shard_map.db_shards.items()
    }
    assert len({id(engines) for engines in pools.values()}) == len(shard_map.db_shards)
    for name, shard in shard_map.db_shards.items():
        assert ctx.router.pools.engines_for(shard) is pools[name]


async def test_another_process_sees_a_new_workspace_when_the_version_moves(
    deployment: Backchannel,
) -> None:
    other = await open_backchannel(deployment.settings, create=False)
    try:
        before = other.ctx.router.shard_map.current.version
        assert await other.ctx.router.shard_map.refresh_if_changed() is False
        made = await workspaces.create_workspace(deployment.ctx, name="Late", domain="late")
        assert await other.ctx.router.shard_map.refresh_if_changed() is True
        assert other.ctx.router.shard_map.current.version > before
        assignment = await other.ctx.router.assignment(made.id)
        assert assignment == await deployment.ctx.router.assignment(made.id)
    finally:
        await other.close()


async def test_the_watch_follows_the_version(deployment: Backchannel) -> None:
    other = await open_backchannel(deployment.settings, create=False)
    watch = asyncio.create_task(other.ctx.router.shard_map.watch())
    try:
        made = await workspaces.create_workspace(deployment.ctx, name="Watched", domain="watched")
        for _ in range(500):  # bounded wait, no timing assertion
            if made.keyspace in other.ctx.router.shard_map.current.by_keyspace:
                break
            await asyncio.sleep(0.01)
        assert made.keyspace in other.ctx.router.shard_map.current.by_keyspace
    finally:
        watch.cancel()
        await other.close()


async def test_a_lookup_miss_reloads_once_then_fails_as_not_found(ctx: ServiceContext) -> None:
    reloads = ctx.router.shard_map.reloads
    with pytest.raises(NotFound) as missing:
        await ctx.router.resolve(ShardFor(new_keyed_id("C", 999)))
    assert missing.value.slack_error == "team_not_found"
    assert ctx.router.shard_map.reloads == reloads + 1
    with pytest.raises(InvalidArgument):
        await ctx.router.resolve(ShardFor("not-an-id"))


async def test_an_existing_deployment_keeps_its_shard_count(make_storage: StorageFactory) -> None:
    storage = make_storage()
    first = await open_backchannel(Settings(storage=storage))
    await first.close()
    reopened = await open_backchannel(Settings(storage=storage), create=False)
    try:
        assert sorted(reopened.ctx.router.shard_map.current.db_shards) == ["shard-0", "shard-1"]
    finally:
        await reopened.close()
