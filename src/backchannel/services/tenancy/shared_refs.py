"""Reading what other workspaces share with one: its references, then the channels at home.

Kept apart from services/tenancy/shared_channels.py (which shares and disconnects) so that the
readers (listings, boot, the edge's catch-up) need nothing of the writers.
"""

from __future__ import annotations

from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.storage.shard import channels as channel_store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import shared_channels as store


async def refs_by_host(
    ctx: ServiceContext, workspace_id: str, *, after: str = ""
) -> dict[str, list[str]]:
    """The channels other workspaces share with this one (after `after`, by id), grouped by
    their home workspace: where to read each."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        refs = await store.refs_txn(conn, workspace_id, after_id=after)
    by_host: dict[str, list[str]] = {}
    for ref in refs:
        by_host.setdefault(ref.host_workspace_id, []).append(ref.channel_id)
    return dict(sorted(by_host.items()))


async def every_shared_by_host(ctx: ServiceContext, workspace_id: str) -> dict[str, list[str]]:
    """Every shared channel the workspace is in, grouped by home: those others share with it
    (its references), and its own that it shares."""
    by_host = await refs_by_host(ctx, workspace_id)
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        own = await store.own_shared_ids_txn(conn, workspace_id)
    if own:
        by_host[workspace_id] = own
    return by_host


async def co_member_workspace(
    ctx: ServiceContext, workspace_id: str, viewer: str, user_id: str
) -> str | None:
    """The workspace of a person of another workspace who is in a shared channel with
    `viewer` (of `workspace_id`); None when there is none (then they are not to be seen)."""
    by_host = await every_shared_by_host(ctx, workspace_id)
    for host, channel_ids in by_host.items():
        async with ctx.router.read(ShardFor(host)) as conn:
            found = await membership_store.co_member_workspace_txn(
                conn, viewer, user_id, channel_ids
            )
        if found is not None and found != workspace_id:
            return found
    return None


async def sharing_workspaces(
    ctx: ServiceContext, workspace_id: str, member: str | None = None
) -> tuple[str, ...]:
    """The other workspaces in a shared channel with this workspace (with `member`: in one
    that person is in from their seat here, who hear of that seat's profile changes)."""
    by_host = await every_shared_by_host(ctx, workspace_id)
    found: set[str] = set()
    for host, channel_ids in by_host.items():
        async with ctx.router.read(ShardFor(host)) as conn:
            if member is not None:
                joined = await membership_store.joined_of_txn(
                    conn, member, channel_ids, from_workspace=workspace_id
                )
                channel_ids = sorted(joined)
            for channel_id in channel_ids:
                channel = await channel_store.get_channel_txn(conn, channel_id)
                if channel is not None and channel.shared_with:
                    found.update(channel.shared_team_ids)
    found.discard(workspace_id)
    return tuple(sorted(found))


async def shared_channels_joined(ctx: ServiceContext, workspace_id: str, user_id: str) -> set[str]:
    """The channels shared with the workspace that the user is in."""
    joined: set[str] = set()
    for host, channel_ids in (await refs_by_host(ctx, workspace_id)).items():
        async with ctx.router.read(ShardFor(host)) as conn:
            joined |= await membership_store.joined_of_txn(conn, user_id, channel_ids)
    return joined
