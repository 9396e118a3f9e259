"""Organisations: their admins, their workspaces, and their people's seats.

One person of an organisation may sit in several of its workspaces with one id: a seat is a
users row on that workspace's shard plus a row in the main DB's `seats` (docs/organisations.md).
Only an organisation admin creates workspaces and moves people between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from backchannel.errors import AlreadyExists, AuthError, InvalidArgument, NotFound
from backchannel.models import Organisation, TokenInfo, User, Workspace
from backchannel.router import Main, ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.channels import member_joined
from backchannel.services.crossdb import Undo, main_then_shards
from backchannel.services.identity import revocation
from backchannel.services.people.profiles import user_changed
from backchannel.services.people.users import free_handle_txn, team_join
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import credentials as credential_store
from backchannel.storage.main import organisations as store
from backchannel.storage.main import workspaces as workspace_store
from backchannel.storage.shard import channels as channel_store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users as user_store
from backchannel.types import ts_at


@dataclass(frozen=True)
class WorkspacePage:
    workspaces: list[Workspace]
    next_after: str | None


async def make_org_admin(ctx: ServiceContext, *, org_id: str, user_id: str) -> None:
    """Make a person who sits in one of the organisation's workspaces its admin (the CLI)."""
    async with ctx.router.write(Main()) as conn:
        if not any(w.org_id == org_id for w in await store.seat_workspaces_txn(conn, user_id)):
            raise NotFound(
                f"{user_id} has no seat in organisation {org_id}", slack_error="user_not_found"
            )
        await store.add_org_admin_txn(conn, org_id, user_id, ctx.clock())


async def administered_org(ctx: ServiceContext, caller: TokenInfo) -> Organisation:
    """The caller's organisation, if the caller administers it; Slack's errors otherwise."""
    if caller.kind != "user":
        raise AuthError(
            "only a person's token may administer", slack_error="not_allowed_token_type"
        )
    async with ctx.router.read(Main()) as conn:
        workspace = await workspace_store.find_workspace_txn(conn, caller.workspace_id)
        org_id = workspace.org_id if workspace is not None else None
        org = await workspace_store.get_org_txn(conn, org_id) if org_id is not None else None
        if org is None:
            raise AuthError("the workspace is in no organisation", slack_error="not_an_enterprise")
        if not await store.is_org_admin_txn(conn, org.id, caller.user_id):
            raise AuthError("only an organisation admin may do this", slack_error="not_an_admin")
    return org


async def may_administer(ctx: ServiceContext, caller: TokenInfo, workspace_id: str) -> bool:
    """Is the caller an admin or owner of the workspace, or an admin of its organisation?"""
    if caller.kind != "user":
        return False
    if caller.workspace_id == workspace_id:
        async with ctx.router.read(ShardFor(workspace_id)) as conn:
            seat = await user_store.get_user_txn(conn, workspace_id, caller.user_id)
        if seat is not None and not seat.deleted and (seat.is_admin or seat.is_owner):
            return True
    async with ctx.router.read(Main()) as conn:
        workspace = await workspace_store.find_workspace_txn(conn, workspace_id)
        if workspace is None or workspace.org_id is None:
            return False
        return await store.is_org_admin_txn(conn, workspace.org_id, caller.user_id)


async def list_teams(
    ctx: ServiceContext, caller: TokenInfo, *, after: str, limit: int
) -> WorkspacePage:
    """admin.teams.list: the organisation's workspaces, by id."""
    org = await administered_org(ctx, caller)
    async with ctx.router.read(Main()) as conn:
        found = await store.org_workspaces_txn(conn, org.id, after_id=after, limit=limit + 1)
    more = len(found) > limit
    page = found[:limit]
    return WorkspacePage(page, page[-1].id if more else None)


async def assign_user(
    ctx: ServiceContext,
    caller: TokenInfo,
    *,
    team_id: str,
    user_id: str,
    channel_ids: Sequence[str] = (),
) -> User:
    """admin.users.assign: give a person of the organisation a seat in another of its
    workspaces, with the same id, in #general and in `channel_ids` (public channels there)."""
    org = await administered_org(ctx, caller)
    target = await _org_workspace(ctx, org, team_id)
    person = await person_of_org(ctx, org, user_id)
    return await add_seat(ctx, person, target, admin=False, owner=False, channel_ids=channel_ids)


async def remove_user(
    ctx: ServiceContext, caller: TokenInfo, *, team_id: str, user_id: str
) -> None:
    """admin.users.remove: take a person's seat in one workspace away. The seat there is
    deactivated (its sockets close), its tokens are revoked, and it cannot sign in there;
    the person's other seats are untouched."""
    org = await administered_org(ctx, caller)
    target = await _org_workspace(ctx, org, team_id)
    now = ctx.clock()

    async def undo(conn: Conn) -> None:
        await user_store.set_deleted_txn(conn, target.id, user_id, deleted=False, now=now)

    async with main_then_shards(ctx) as (main_conn, open_shard):
        if not await store.remove_seat_txn(main_conn, user_id, target.id):
            raise NotFound(f"{user_id} has no seat in {target.id}", slack_error="user_not_found")
        revoked = await credential_store.revoke_seat_tokens_txn(main_conn, user_id, target.id, now)
        async with open_shard(ShardFor(target.id), undo) as conn:
            seat = await user_store.get_user_txn(conn, target.id, user_id)
            if seat is None:
                raise NotFound(f"no user {user_id} in {target.id}", slack_error="user_not_found")
            await user_store.set_deleted_txn(conn, target.id, user_id, deleted=True, now=now)
            await events.append_txn(
                ctx,
                conn,
                user_changed(replace(seat, deleted=True, updated=now), now, ctx.public_url),
            )
            await revocation.announce_txn(ctx, conn, revoked)
    revocation.forget(ctx, revoked)


async def seat_workspaces(ctx: ServiceContext, user_id: str) -> list[Workspace]:
    """Every workspace the person sits in, the first joined first."""
    async with ctx.router.read(Main()) as conn:
        return await store.seat_workspaces_txn(conn, user_id)


async def caller_workspaces(ctx: ServiceContext, caller: TokenInfo) -> list[Workspace]:
    """auth.teams.list, the client's switcher: a person's seats; a bot's own workspace."""
    async with ctx.router.read(Main()) as conn:
        found = await store.seat_workspaces_txn(conn, caller.user_id)
        if not found:
            own = await workspace_store.find_workspace_txn(conn, caller.workspace_id)
            found = [own] if own is not None else []
    return found


# -- helpers ------------------------------------------------------------------------------


async def _org_workspace(ctx: ServiceContext, org: Organisation, team_id: str) -> Workspace:
    async with ctx.router.read(Main()) as conn:
        workspace = await workspace_store.find_workspace_txn(conn, team_id)
    if workspace is None or workspace.org_id != org.id or workspace.id != team_id:
        raise NotFound(f"no workspace {team_id} in this organisation", slack_error="team_not_found")
    return workspace


async def person_of_org(ctx: ServiceContext, org: Organisation, user_id: str) -> User:
    """A person of the organisation as one of their seats has them (the first one)."""
    seats = [w for w in await seat_workspaces(ctx, user_id) if w.org_id == org.id]
    for workspace in seats:
        async with ctx.router.read(ShardFor(workspace.id)) as conn:
            person = await user_store.get_user_txn(conn, workspace.id, user_id)
        if person is not None and not person.deleted:
            return person
    raise NotFound(f"no person {user_id} in this organisation", slack_error="user_not_found")


async def add_seat(
    ctx: ServiceContext,
    person: User,
    target: Workspace,
    *,
    admin: bool,
    owner: bool,
    channel_ids: Sequence[str],
) -> User:
    now = ctx.clock()
    seat = replace(
        person, workspace_id=target.id, is_admin=admin, is_owner=owner, deleted=False, updated=now
    )
    async with main_then_shards(ctx) as (main_conn, open_shard):
        if any(w.id == target.id for w in await store.seat_workspaces_txn(main_conn, person.id)):
            raise AlreadyExists(
                f"{person.id} already has a seat in {target.id}",
                slack_error="user_already_team_member",
            )
        if person.email and await credential_store.email_taken_txn(
            main_conn, target.id, person.email
        ):
            raise AlreadyExists(
                f"someone in {target.id} already signs in with {person.email}",
                slack_error="email_taken",
            )
        await store.add_seat_txn(main_conn, person.id, target.id, now)
        async with open_shard(ShardFor(target.id), _undo_seat(ctx, seat)) as conn:
            returning = await user_store.get_user_txn(conn, target.id, person.id)
            if returning is not None:
                # A seat removed before comes back as it was, with today's profile.
                seat = replace(returning, profile=person.profile, deleted=False, updated=now)
                await _restore_seat_txn(conn, seat, now)
                await events.append_txn(ctx, conn, user_changed(seat, now, ctx.public_url))
            else:
                seat = replace(seat, name=await free_handle_txn(conn, target.id, person.name))
                await user_store.insert_user_txn(conn, seat)
                await events.append_txn(ctx, conn, team_join(seat, ctx.public_url))
            await _join_channels_txn(ctx, conn, seat, channel_ids, now)
    return seat


async def _restore_seat_txn(conn: Conn, seat: User, now: float) -> None:
    await user_store.set_deleted_txn(conn, seat.workspace_id, seat.id, deleted=False, now=now)
    await user_store.update_profile_txn(conn, seat)


def _undo_seat(ctx: ServiceContext, seat: User) -> Undo:
    """A seat whose shard committed when the main DB then failed ends deactivated (and is
    announced so): assigning the person again brings the same row back."""

    async def undo(conn: Transaction) -> None:
        await user_store.set_deleted_txn(
            conn, seat.workspace_id, seat.id, deleted=True, now=seat.updated
        )
        gone = replace(seat, deleted=True)
        await events.append_txn(ctx, conn, user_changed(gone, seat.updated, ctx.public_url))

    return undo


async def _join_channels_txn(
    ctx: ServiceContext,
    conn: Transaction,
    seat: User,
    channel_ids: Sequence[str],
    now: float,
) -> None:
    general = await channel_store.general_channel_txn(conn, seat.workspace_id)
    wanted = [general] if general is not None else []
    for channel_id in dict.fromkeys(channel_ids):
        channel = await channel_store.get_channel_txn(conn, channel_id)
        if channel is None or channel.workspace_id != seat.workspace_id or channel.is_archived:
            raise NotFound(
                f"no channel {channel_id} in {seat.workspace_id}", slack_error="channel_not_found"
            )
        if channel.is_private or channel.is_im or channel.is_mpim:
            raise InvalidArgument(
                f"{channel_id} is not a public channel", slack_error="failed_to_validate_channels"
            )
        wanted.append(channel)
    for channel in {c.id: c for c in wanted}.values():
        if await membership_store.is_member_txn(conn, channel.id, seat.id):
            continue
        await membership_store.add_member_txn(
            conn, channel_id=channel.id, user_id=seat.id, workspace_id=seat.workspace_id, now=now
        )
        await events.append_txn(ctx, conn, member_joined(channel, seat.id, ts_at(now)))
