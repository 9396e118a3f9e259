"""Organisations and workspaces: creation, validation, nothing half-made."""

from __future__ import annotations

import asyncio

import pytest

from backchannel.errors import AlreadyExists, InvalidArgument, NotFound
from backchannel.services import ServiceContext
from backchannel.services.tenancy import workspaces
from tests.conftest import Acme


async def test_a_workspace_belongs_to_its_organisation(ctx: ServiceContext) -> None:
    org = await workspaces.create_org(ctx, name="Acme Corporation")
    assert org.id.startswith("E")
    made = await workspaces.create_workspace(ctx, name="Acme HQ", domain="Acme", org_id=org.id)
    assert made.domain == "acme"
    found = await workspaces.find_workspace(ctx, "acme")
    assert found == made
    assert await workspaces.find_workspace(ctx, made.id) == made


async def test_a_taken_domain_is_refused_and_nothing_changes(
    ctx: ServiceContext, acme: Acme
) -> None:
    version = (await ctx.router.shard_map.refresh()).version
    with pytest.raises(AlreadyExists) as taken:
        await workspaces.create_workspace(ctx, name="Other", domain="ACME")
    assert taken.value.slack_error == "domain_taken"
    assert [w.domain for w in await workspaces.list_workspaces(ctx)] == ["acme"]
    assert (await ctx.router.shard_map.refresh()).version == version


async def test_an_unknown_organisation_is_refused(ctx: ServiceContext) -> None:
    with pytest.raises(NotFound, match="no organisation E000"):
        await workspaces.create_workspace(ctx, name="X", domain="x", org_id="E0000000000")
    assert await workspaces.list_workspaces(ctx) == []


@pytest.mark.parametrize("domain", ["", "-acme", "acme-", "a b", "ac.me", "x" * 22])
async def test_bad_domains_say_what_is_expected(ctx: ServiceContext, domain: str) -> None:
    with pytest.raises(InvalidArgument, match="lower-case letters, digits or hyphens"):
        await workspaces.create_workspace(ctx, name="X", domain=domain)


async def test_an_unknown_workspace_is_not_found(ctx: ServiceContext) -> None:
    with pytest.raises(NotFound) as missing:
        await workspaces.find_workspace(ctx, "nowhere")
    assert missing.value.slack_error == "team_not_found"


async def test_workspaces_created_at_once_get_distinct_keyspaces(ctx: ServiceContext) -> None:
    made = await asyncio.gather(
        *(workspaces.create_workspace(ctx, name=f"Team {n}", domain=f"team{n}") for n in range(6))
    )
    assert sorted(w.keyspace for w in made) == [1, 2, 3, 4, 5, 6]
    assert len({w.id for w in made}) == 6
