"""Sharing a channel with other workspaces, and ending it (docs/organisations.md).

A shared channel stays where it is: its home shard keeps its messages, its members (from
every side) and, in the channel row, the workspaces it is shared with. Each of those holds
a reference on its own shard, which its listings read. Sharing writes the reference first
and the channel row last, and a disconnect the other way round: the channel row, which every
access check reads, is what makes a workspace a participant, so no half-done share is ever
visible, and a disconnect takes effect on the next call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from backchannel.errors import AuthError, BackchannelError, InvalidArgument, NotFound
from backchannel.models import Channel, Event, Organisation, SharedTeam, TokenInfo, Workspace
from backchannel.models.events import to_channel, to_user, to_workspace
from backchannel.router import Main, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    check_not_archived,
    conversation_txn,
    no_channel,
)
from backchannel.services.conversations.channels import member_joined, member_left, now_ts
from backchannel.services.realtime import events
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.services.tenancy.organisations import administered_org, may_administer
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import organisations as org_store
from backchannel.storage.main import workspaces as workspace_store
from backchannel.storage.shard import channels as channel_store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import shared_channels as store
from backchannel.storage.shard.messages import lock_channel_txn

ORG, EXT = "org", "ext"


@dataclass(frozen=True)
class TeamsPage:
    team_ids: list[str]
    next_after: str | None


async def set_teams(
    ctx: ServiceContext,
    caller: TokenInfo,
    *,
    channel_id: str,
    team_id: str | None,
    target_team_ids: Sequence[str],
    org_channel: bool,
) -> Channel:
    """admin.conversations.setTeams: the channel is in exactly these workspaces of the
    organisation (all of them for an org-wide channel) besides its own."""
    org = await administered_org(ctx, caller)
    channel = await _org_channel(ctx, org, channel_id)
    if team_id is not None and team_id != channel.workspace_id:
        raise NotFound(
            f"{channel_id} is not a channel of {team_id}", slack_error="channel_not_found"
        )
    members = {w.id: w for w in await _org_workspaces(ctx, org)}
    if org_channel:
        wanted = [w for w in members if w != channel.workspace_id]
    else:
        unknown = [t for t in target_team_ids if t not in members]
        if unknown:
            raise NotFound(
                f"no workspace {unknown[0]} in this organisation", slack_error="team_not_found"
            )
        wanted = [t for t in dict.fromkeys(target_team_ids) if t != channel.workspace_id]
    # Recorded first: a workspace made while the shares below run gets the channel too.
    async with ctx.router.write(Main()) as conn:
        await org_store.set_org_channel_txn(
            conn, org.id, channel.id, org_wide=org_channel, now=ctx.clock()
        )
    current = {team.id for team in channel.shared_with if team.kind == ORG}
    for workspace_id in sorted(set(wanted) - current):
        channel = await share(ctx, channel, SharedTeam(workspace_id, ORG))
    for workspace_id in sorted(current - set(wanted)):
        channel = await unshare(ctx, channel, workspace_id)
    return channel


async def share_org_channels(ctx: ServiceContext, workspace: Workspace) -> None:
    """A new workspace of an organisation gets its organisation-wide channels."""
    if workspace.org_id is None:
        return
    async with ctx.router.read(Main()) as conn:
        channel_ids = await org_store.org_channel_ids_txn(conn, workspace.org_id)
    for channel_id in channel_ids:
        channel = await _channel(ctx, channel_id)
        if channel.workspace_id != workspace.id and not channel.is_archived:
            await share(ctx, channel, SharedTeam(workspace.id, ORG))


async def get_teams(
    ctx: ServiceContext, caller: TokenInfo, *, channel_id: str, after: str, limit: int
) -> TeamsPage:
    """admin.conversations.getTeams: the workspaces the channel is in, its own first."""
    org = await administered_org(ctx, caller)
    channel = await _org_channel(ctx, org, channel_id, to_share=False)
    ids = channel.shared_team_ids
    start = ids.index(after) + 1 if after in ids else 0
    page = ids[start : start + limit]
    return TeamsPage(page, page[-1] if start + limit < len(ids) else None)


async def disconnect(
    ctx: ServiceContext, caller: TokenInfo, *, channel_id: str, leaving_team_ids: Sequence[str]
) -> Channel:
    """admin.conversations.disconnectShared: these workspaces leave the channel; their
    people leave it with them. The home's admins (or its organisation's) may disconnect any
    side; another side's admins only their own. The home cannot be made to leave."""
    if caller.kind != "user":
        raise AuthError(
            "only a person's token may disconnect", slack_error="not_allowed_token_type"
        )
    channel = await _channel(ctx, channel_id)
    if not (
        channel.workspace_id == caller.workspace_id or channel.is_shared_with(caller.workspace_id)
    ):
        raise no_channel(channel_id)
    if not channel.shared_with:
        raise BackchannelError(f"{channel_id} is not shared", slack_error="no_teams_to_disconnect")
    leaving = list(dict.fromkeys(leaving_team_ids))
    if not leaving:
        raise InvalidArgument(
            "name the workspaces to disconnect", slack_error="leaving_team_required"
        )
    if channel.workspace_id in leaving:
        raise BackchannelError(
            "the channel's own workspace keeps it", slack_error="cannot_kick_home_team"
        )
    missing = [t for t in leaving if not channel.is_shared_with(t)]
    if missing:
        raise InvalidArgument(
            f"{missing[0]} is not in the channel", slack_error="leaving_team_not_in_channel"
        )
    if not await may_administer(ctx, caller, channel.workspace_id):
        own_side = leaving == [caller.workspace_id]
        if not (own_side and await may_administer(ctx, caller, caller.workspace_id)):
            raise AuthError("only the channel's or that side's admins", slack_error="not_an_admin")
    for workspace_id in leaving:
        channel = await unshare(ctx, channel, workspace_id)
    return channel


# -- the two moves --------------------------------------------------------------------------


async def share(
    ctx: ServiceContext, channel: Channel, team: SharedTeam, *, joining: str | None = None
) -> Channel:
    """Add a workspace to a channel: its reference, then the channel row (see above), with
    `joining` (of that workspace) in it: who accepted a Slack Connect invitation.

    The home's members hear `channel_shared` in the channel; the workspace it now reaches
    hears it too: all of it for a public channel, only `joining` for a private one."""
    home = await workspace_log(ctx, channel.workspace_id)
    there = await workspace_log(ctx, team.id)
    # Both ways: the channel's events go there, and its people's profile changes come back.
    await events.start_relay(ctx, home, there)
    await events.start_relay(ctx, there, home)
    async with ctx.router.write(ShardFor(team.id)) as conn:
        await store.add_ref_txn(conn, team.id, channel.id, channel.workspace_id, ctx.clock())
    payload = {
        "type": "channel_shared",
        "connected_team_id": team.id,
        "channel": channel.id,
        "event_ts": now_ts(ctx),
    }
    async with conversation_txn(ctx, channel.id, write=True) as conn:
        now = await _current_txn(conn, channel.id)
        newly = not now.is_shared_with(team.id)
        teams = (*now.shared_with, team) if newly else now.shared_with
        if newly:
            await store.set_shared_with_txn(conn, channel.id, teams)
            shared = to_channel(channel.workspace_id, channel.id, payload)
            await events.append_txn(ctx, conn, _relayed(shared, ()))
        if joining is not None and not await membership_store.is_member_txn(
            conn, channel.id, joining
        ):
            await membership_store.add_member_txn(
                conn, channel_id=channel.id, user_id=joining, workspace_id=team.id, now=ctx.clock()
            )
            await events.append_txn(
                ctx, conn, member_joined(_with(now, teams), joining, now_ts(ctx))
            )
    if newly and (joining is not None or not channel.is_private):
        async with ctx.router.write(ShardFor(team.id)) as conn:
            there_payload = {**payload, "event_ts": now_ts(ctx)}
            told = (
                to_workspace(team.id, there_payload)
                if not channel.is_private
                else to_user(team.id, str(joining), there_payload)
            )
            await events.append_txn(ctx, conn, told)
    return _with(now, teams)


async def unshare(ctx: ServiceContext, channel: Channel, workspace_id: str) -> Channel:
    """Take a workspace out of a channel: the channel row and that side's memberships first,
    then its reference. That side's members hear that they left, and, for a public channel,
    the whole side hears `channel_unshared` with the reference's removal."""
    async with conversation_txn(ctx, channel.id, write=True) as conn:
        now = await _current_txn(conn, channel.id)
        if not now.is_shared_with(workspace_id):
            return now
        before = tuple(team.id for team in now.shared_with)
        teams = tuple(team for team in now.shared_with if team.id != workspace_id)
        await store.set_shared_with_txn(conn, channel.id, teams)
        event_ts = now_ts(ctx)
        for user_id in await membership_store.remove_workspace_members_txn(
            conn, channel.id, workspace_id
        ):
            left = member_left(now, user_id, event_ts)
            await events.append_txn(ctx, conn, _relayed(left, before))
        payload = {
            "type": "channel_unshared",
            "previously_connected_team_id": workspace_id,
            "channel": channel.id,
            "is_ext_shared": any(team.kind == EXT for team in teams),
            "event_ts": event_ts,
        }
        # To the home's members and the sides that stay (the channel row names them now).
        await events.append_txn(ctx, conn, to_channel(channel.workspace_id, channel.id, payload))
    async with ctx.router.write(ShardFor(workspace_id)) as conn:
        await store.remove_ref_txn(conn, workspace_id, channel.id)
        if not channel.is_private:
            await events.append_txn(ctx, conn, to_workspace(workspace_id, payload))
    return _with(now, teams)


# -- helpers ---------------------------------------------------------------------------------


def _relayed(event: Event, workspaces: tuple[str, ...]) -> Event:
    return replace(event, relay_to=workspaces)


def _with(channel: Channel, teams: Sequence[SharedTeam]) -> Channel:
    return replace(channel, shared_with=tuple(teams))


async def _current_txn(conn: Conn, channel_id: str) -> Channel:
    """The channel as it is now, under its lock (shares and disconnects one at a time)."""
    await lock_channel_txn(conn, channel_id)
    channel = await channel_store.get_channel_txn(conn, channel_id)
    if channel is None:
        raise no_channel(channel_id)
    return channel


async def _channel(ctx: ServiceContext, channel_id: str) -> Channel:
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        channel = await channel_store.get_channel_txn(conn, channel_id)
    if channel is None:
        raise no_channel(channel_id)
    return channel


async def _org_channel(
    ctx: ServiceContext, org: Organisation, channel_id: str, *, to_share: bool = True
) -> Channel:
    """A channel of one of the organisation's workspaces (`to_share`: that can be shared)."""
    channel = await _channel(ctx, channel_id)
    async with ctx.router.read(Main()) as conn:
        home = await workspace_store.find_workspace_txn(conn, channel.workspace_id)
    if home is None or home.org_id != org.id:
        raise no_channel(channel_id)
    if to_share:
        check_shareable(channel)
    return channel


def check_shareable(channel: Channel) -> None:
    """Channels can be shared; DMs and group DMs cannot, nor an archived channel."""
    if channel.is_im or channel.is_mpim:
        raise BackchannelError(
            "a DM or group DM cannot be shared", slack_error="channel_type_not_supported"
        )
    check_not_archived(channel, slack_error="channel_is_archived")


async def _org_workspaces(ctx: ServiceContext, org: Organisation) -> list[Workspace]:
    async with ctx.router.read(Main()) as conn:
        return await org_store.org_workspaces_txn(conn, org.id, limit=10_000)
