"""Organisations and workspaces: creation assigns a workspace its shards."""

from __future__ import annotations

from functools import partial

from backchannel.errors import AlreadyExists, NotFound
from backchannel.models import Channel, Organisation, Workspace
from backchannel.router import Main, Shard
from backchannel.services.context import ServiceContext
from backchannel.services.crossdb import main_then_shards
from backchannel.services.validation import check_display_name, check_domain
from backchannel.storage import channels, topology
from backchannel.storage import workspaces as store
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

    The workspace appears in the shard map only when whole (see services/crossdb.py).
    """
    name = check_display_name(name)
    domain = check_domain(domain)
    now = ctx.clock()
    async with main_then_shards(ctx) as (conn, open_shard):
        # Bumping the shard map's version first locks its row: creations run one at a time
        # from here on, so the domain check and the next keyspace cannot race.
        await topology.bump_shard_map_version_txn(conn)
        if org_id is not None and await store.get_org_txn(conn, org_id) is None:
            raise NotFound(f"no organisation {org_id}", slack_error="org_not_found")
        if await store.domain_taken_txn(conn, domain):
            raise AlreadyExists(f"the domain {domain!r} is taken", slack_error="domain_taken")
        db_shard, ms_shard = await topology.least_loaded_shards_txn(conn)
        keyspace = await store.next_keyspace_txn(conn)
        workspace = Workspace(
            id=new_keyed_id(WORKSPACE, keyspace),
            keyspace=keyspace,
            name=name,
            domain=domain,
            org_id=org_id,
            db_shard=db_shard,
            ms_shard=ms_shard,
            created=now,
        )
        await store.insert_workspace_txn(conn, workspace)
        general = _general_channel(workspace, now)
        undo = partial(channels.delete_channel_txn, channel_id=general.id)
        async with open_shard(Shard(db_shard), undo) as shard_conn:
            await channels.insert_channel_txn(shard_conn, general)
    await ctx.router.shard_map.refresh()
    return workspace


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
