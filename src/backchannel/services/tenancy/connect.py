"""Slack Connect: sharing a channel with another organisation's workspace, by invitation.

The channel's home offers it (conversations.inviteShared) to a workspace, named by id, by
one of its people's id, or by a person's email; an admin of the receiving side accepts or
declines it, within 14 days. Admins of each side decide: the invitation comes from an admin
of the home who is in the channel, the answer from an admin of the other side. Accepting
shares the channel as services/tenancy/shared_channels.py does (kind "ext"), then marks the
invitation used: a crash in between leaves an invitation that can be accepted again, which
completes the share (see docs/organisations.md, part 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backchannel.errors import AlreadyExists, AuthError, BackchannelError, InvalidArgument, NotFound
from backchannel.models import Channel, SharedTeam, TokenInfo, Workspace
from backchannel.router import Main, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    access_channel_txn,
    check_member_txn,
    conversation_txn,
)
from backchannel.services.tenancy.organisations import may_administer
from backchannel.services.tenancy.shared_channels import EXT, check_shareable, share
from backchannel.services.validation import check_email
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import organisations as org_store
from backchannel.storage.main import shared_invites as store
from backchannel.storage.main import workspaces as workspace_store
from backchannel.storage.main.shared_invites import SharedInvite
from backchannel.storage.shard import channels as channel_store
from backchannel.storage.shard import users as user_store
from backchannel.types import new_invite_id

INVITE_SECONDS = 14 * 24 * 3600  # as Slack's: an unanswered invitation lapses in 14 days


@dataclass(frozen=True)
class InviteView:
    """An open invitation as the caller's workspace sees it."""

    invite: SharedInvite
    channel: Channel
    host: Workspace
    direction: str  # "outgoing" (from the caller's workspace) or "incoming"


@dataclass(frozen=True)
class InvitePage:
    views: list[InviteView]
    next_after: str | None


async def invite_shared(
    ctx: ServiceContext,
    caller: TokenInfo,
    *,
    channel_id: str,
    emails: Sequence[str] = (),
    user_ids: Sequence[str] = (),
    team_id: str | None = None,
) -> SharedInvite:
    """conversations.inviteShared: one invitation, to one workspace or person."""
    named = [*emails, *user_ids, *([team_id] if team_id else [])]
    if len(named) != 1:
        raise InvalidArgument(
            "name exactly one email, user id or workspace to invite",
            slack_error="invalid_arguments" if named else "no_target",
        )
    channel = await _home_channel(ctx, caller, channel_id)
    email = check_email(emails[0]) if emails else None
    target = None if email else await _target_workspace(ctx, team_id, user_ids)
    async with ctx.router.write(Main()) as conn:
        host = await _workspace_txn(conn, channel.workspace_id)
        if target is not None:
            _check_other_org(host, target)
            if channel.is_shared_with(target.id):
                raise AlreadyExists(
                    f"{channel.id} is already shared with {target.id}", slack_error="already_shared"
                )
        now = ctx.clock()
        invite = SharedInvite(
            id=new_invite_id(),
            channel_id=channel.id,
            host_workspace_id=host.id,
            inviter_id=caller.user_id,
            target_workspace_id=target.id if target else None,
            target_email=email,
            created=now,
            expires=now + INVITE_SECONDS,
            state=store.PENDING,
        )
        await store.insert_invite_txn(conn, invite)
    return invite


async def accept_shared_invite(
    ctx: ServiceContext,
    caller: TokenInfo,
    *,
    invite_id: str | None,
    channel_id: str | None,
) -> tuple[SharedInvite, Channel]:
    """conversations.acceptSharedInvite: an admin of the invited side takes the channel in,
    and is its first member there."""
    invite = await _open_invite_for(ctx, caller, invite_id=invite_id, channel_id=channel_id)
    if not await may_administer(ctx, caller, caller.workspace_id):
        raise AuthError("only an admin accepts for a workspace", slack_error="not_an_admin")
    async with ctx.router.read(Main()) as conn:
        host = await _workspace_txn(conn, invite.host_workspace_id)
        _check_other_org(host, await _workspace_txn(conn, caller.workspace_id))
    async with conversation_txn(ctx, invite.channel_id, write=False) as conn:
        channel = await channel_store.get_channel_txn(conn, invite.channel_id)
    if channel is None:
        raise NotFound("the invited channel is gone", slack_error="channel_not_found")
    check_shareable(channel)
    channel = await share(
        ctx, channel, SharedTeam(caller.workspace_id, EXT), joining=caller.user_id
    )
    async with ctx.router.write(Main()) as conn:
        await store.decide_invite_txn(
            conn,
            invite.id,
            state=store.ACCEPTED,
            by=caller.user_id,
            now=ctx.clock(),
            accepted_workspace_id=caller.workspace_id,
        )
    return invite, channel


async def decline_shared_invite(ctx: ServiceContext, caller: TokenInfo, *, invite_id: str) -> None:
    """conversations.declineSharedInvite: the invited side's admin says no; the home's
    admin may withdraw it too."""
    async with ctx.router.read(Main()) as conn:
        invite = await store.get_invite_txn(conn, invite_id)
    if invite is None:
        raise NotFound(f"no invitation {invite_id}", slack_error="invite_not_found")
    if invite.host_workspace_id == caller.workspace_id:
        state = store.REVOKED
    else:
        await _check_addressed_to(ctx, caller, invite)
        state = store.DECLINED
    _check_open(invite, ctx.clock())
    if not await may_administer(ctx, caller, caller.workspace_id):
        raise AuthError("only an admin answers for a workspace", slack_error="not_an_admin")
    async with ctx.router.write(Main()) as conn:
        if not await store.decide_invite_txn(
            conn, invite.id, state=state, by=caller.user_id, now=ctx.clock()
        ):
            raise BackchannelError(
                "the invitation was answered already", slack_error="invite_already_used"
            )


async def list_connect_invites(
    ctx: ServiceContext, caller: TokenInfo, *, after: str, limit: int
) -> InvitePage:
    """conversations.listConnectInvites: open invitations from the caller's workspace and to
    it (to it by id, or by the email of one of its people)."""
    now = ctx.clock()
    async with ctx.router.read(Main()) as conn:
        found = await store.pending_invites_txn(
            conn, caller.workspace_id, after_id=after, limit=limit + 1
        )
    views = []
    for invite in found[:limit]:
        if invite.expires <= now:
            continue
        outgoing = invite.host_workspace_id == caller.workspace_id
        if not outgoing and not await _addressed_to(ctx, caller.workspace_id, invite):
            continue
        views.append(await _view(ctx, invite, caller.workspace_id))
    more = len(found) > limit
    return InvitePage(views, found[limit - 1].id if more else None)


# -- helpers ---------------------------------------------------------------------------------


async def _home_channel(ctx: ServiceContext, caller: TokenInfo, channel_id: str) -> Channel:
    """The caller's workspace's own channel, which the caller is in and may administer."""
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        channel = await access_channel_txn(conn, caller.workspace_id, caller.user_id, channel_id)
        if channel.workspace_id != caller.workspace_id:
            raise AuthError("only the channel's home shares it", slack_error="restricted_action")
        check_shareable(channel)
        await check_member_txn(conn, channel, caller.user_id)
    if not await may_administer(ctx, caller, caller.workspace_id):
        raise AuthError("only an admin shares a channel", slack_error="restricted_action")
    return channel


async def _target_workspace(
    ctx: ServiceContext, team_id: str | None, user_ids: Sequence[str]
) -> Workspace:
    async with ctx.router.read(Main()) as conn:
        if team_id:
            found = await workspace_store.find_workspace_txn(conn, team_id)
            if found is None or found.id != team_id:
                raise NotFound(f"no workspace {team_id}", slack_error="team_not_found")
            return found
        seats = await org_store.seat_workspaces_txn(conn, user_ids[0])
    if not seats:
        raise NotFound(f"no user {user_ids[0]}", slack_error="user_not_found")
    return seats[0]


async def _workspace_txn(conn: Conn, workspace_id: str) -> Workspace:
    found = await workspace_store.find_workspace_txn(conn, workspace_id)
    if found is None:
        raise NotFound(f"no workspace {workspace_id}", slack_error="team_not_found")
    return found


def _check_other_org(host: Workspace, target: Workspace) -> None:
    """Slack Connect is between organisations: within one, an admin shares with setTeams."""
    if target.id == host.id:
        raise InvalidArgument(
            "a channel is shared with itself already", slack_error="cannot_share_with_self"
        )
    if host.org_id is not None and target.org_id == host.org_id:
        raise InvalidArgument(
            "that workspace is in the same organisation: use admin.conversations.setTeams",
            slack_error="cannot_share_with_own_org",
        )


async def _open_invite_for(
    ctx: ServiceContext, caller: TokenInfo, *, invite_id: str | None, channel_id: str | None
) -> SharedInvite:
    """The pending, unexpired invitation the caller's workspace may accept."""
    if not invite_id and not channel_id:
        raise InvalidArgument(
            "name the invite_id or the channel_id", slack_error="invalid_arguments"
        )
    async with ctx.router.read(Main()) as conn:
        if invite_id:
            candidates = [i for i in [await store.get_invite_txn(conn, invite_id)] if i is not None]
        else:
            assert channel_id is not None
            candidates = await store.pending_for_channel_txn(conn, channel_id)
    addressed = [i for i in candidates if await _addressed_to(ctx, caller.workspace_id, i)]
    if not addressed:
        raise NotFound("no invitation for this workspace", slack_error="invite_not_found")
    invite = addressed[0]
    _check_open(invite, ctx.clock())
    return invite


def _check_open(invite: SharedInvite, now: float) -> None:
    if invite.state != store.PENDING:
        raise BackchannelError(
            f"the invitation was {invite.state}", slack_error="invite_already_used"
        )
    if invite.expires <= now:
        raise BackchannelError("the invitation has expired", slack_error="invite_expired")


async def _check_addressed_to(ctx: ServiceContext, caller: TokenInfo, invite: SharedInvite) -> None:
    if not await _addressed_to(ctx, caller.workspace_id, invite):
        raise NotFound(f"no invitation {invite.id}", slack_error="invite_not_found")


async def _addressed_to(ctx: ServiceContext, workspace_id: str, invite: SharedInvite) -> bool:
    """Is the invitation to this workspace: by its id, or by the email of one of its people?"""
    if invite.target_workspace_id is not None:
        return invite.target_workspace_id == workspace_id
    if invite.target_email is None or invite.host_workspace_id == workspace_id:
        return False
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        person = await user_store.find_user_by_email_txn(conn, workspace_id, invite.target_email)
    return person is not None and not person.deleted


async def _view(ctx: ServiceContext, invite: SharedInvite, workspace_id: str) -> InviteView:
    async with conversation_txn(ctx, invite.channel_id, write=False) as conn:
        channel = await channel_store.get_channel_txn(conn, invite.channel_id)
    async with ctx.router.read(Main()) as conn:
        host = await _workspace_txn(conn, invite.host_workspace_id)
    if channel is None:
        raise NotFound("the invited channel is gone", slack_error="channel_not_found")
    direction = "outgoing" if invite.host_workspace_id == workspace_id else "incoming"
    return InviteView(invite, channel, host, direction)
