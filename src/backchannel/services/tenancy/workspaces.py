"""Organisations and workspaces: creation assigns a workspace its shards."""

from __future__ import annotations

import contextlib
from functools import partial

from sqlalchemy.exc import IntegrityError

from backchannel.errors import AlreadyExists, NotFound
from backchannel.models import Channel, Organisation, ShardMap, Workspace, WorkspaceAssignment
from backchannel.models.topology import DropAssignment, PutAssignment, TopologyChange
from backchannel.router import Main, Shard
from backchannel.router.topology import least_loaded, next_keyspace
from backchannel.services.context import ServiceContext
from backchannel.services.crossdb import main_then_shards
from backchannel.services.validation import check_display_name, check_domain
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import workspaces as store
from backchannel.storage.shard import channels
from backchannel.types import PUBLIC_CHANNEL, WORKSPACE, new_keyed_id, new_org_id

GENERAL = "general"


async def create_org(ctx: ServiceContext, *, name: str) -> Organisation:
    org = Organisation(new_org_id(), check_display_name(name), ctx.clock())
    async with ctx.router.write(Main()) as conn:
        await store.insert_org_txn(conn, org)
    return org


async def create_workspace(
    ctx: ServiceContext, *, name: str, domain: str, org_id: str | None = None
) -> Workspace:
    """Create a workspace on the least-loaded DB and message-server shards, with #general.

    Its keyspace and shards are assigned first, by compare-and-set on the topology (so two
    creations never take one keyspace); then its rows are written (services/crossdb.py).
    If that fails, the assignment is dropped again; if the process dies in between, an
    assignment without a workspace stays, which costs a keyspace and nothing else.
    """
    name = check_display_name(name)
    domain = check_domain(domain)
    now = ctx.clock()
    async with ctx.router.read(Main()) as conn:  # refuse early, before taking a keyspace
        await _check_free(conn, domain, org_id)
    assignment = await _assign_shards(ctx)
    workspace = Workspace(
        id=assignment.workspace_id,
        keyspace=assignment.keyspace,
        name=name,
        domain=domain,
        org_id=org_id,
        created=now,
    )
    try:
        async with main_then_shards(ctx) as (conn, open_shard):
            await _check_free(conn, domain, org_id)
            try:
                await store.insert_workspace_txn(conn, workspace)
            except IntegrityError:  # the same domain, created meanwhile
                raise AlreadyExists(
                    f"the domain {domain!r} is taken", slack_error="domain_taken"
                ) from None
            general = _general_channel(workspace, now)
            undo = partial(channels.delete_channel_txn, channel_id=general.id)
            async with open_shard(Shard(assignment.db_shard), undo) as shard_conn:
                await channels.insert_channel_txn(shard_conn, general)
    except BaseException:
        with contextlib.suppress(Exception):
            await ctx.router.change_topology(lambda _: [DropAssignment(assignment.keyspace)])
        raise
    return workspace


async def _check_free(conn: Conn, domain: str, org_id: str | None) -> None:
    if org_id is not None and await store.get_org_txn(conn, org_id) is None:
        raise NotFound(f"no organisation {org_id}", slack_error="org_not_found")
    if await store.domain_taken_txn(conn, domain):
        raise AlreadyExists(f"the domain {domain!r} is taken", slack_error="domain_taken")


async def _assign_shards(ctx: ServiceContext) -> WorkspaceAssignment:
    """A new keyspace on the least-loaded shards, recorded in the topology."""
    chosen: list[WorkspaceAssignment] = []

    def plan(current: ShardMap) -> list[TopologyChange]:
        db_shard, ms_shard = least_loaded(current)
        keyspace = next_keyspace(current)
        workspace_id = new_keyed_id(WORKSPACE, keyspace)
        chosen[:] = [WorkspaceAssignment(workspace_id, keyspace, db_shard, ms_shard)]
        return [PutAssignment(chosen[0])]

    await ctx.router.change_topology(plan)
    return chosen[0]


def _general_channel(workspace: Workspace, now: float) -> Channel:
    return Channel(
        id=new_keyed_id(PUBLIC_CHANNEL, workspace.keyspace),
        workspace_id=workspace.id,
        name=GENERAL,
        is_private=False,
        is_im=False,
        is_mpim=False,
        is_general=True,
        is_archived=False,
        creator=None,
        created=now,
        purpose="This channel is for workspace-wide communication and announcements.",
    )


async def find_workspace(ctx: ServiceContext, id_or_domain: str) -> Workspace:
    async with ctx.router.read(Main()) as conn:
        workspace = await store.find_workspace_txn(conn, id_or_domain.strip())
    if workspace is None:
        raise NotFound(f"no workspace {id_or_domain!r}", slack_error="team_not_found")
    return workspace


async def list_workspaces(ctx: ServiceContext) -> list[Workspace]:
    async with ctx.router.read(Main()) as conn:
        return await store.list_workspaces_txn(conn)
