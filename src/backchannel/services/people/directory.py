"""Looking people and workspaces up, with the caller's access checked."""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.errors import AuthError, NotFound
from backchannel.models import Bot, TokenInfo, User, Workspace
from backchannel.router import Main, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.people.profiles import with_current_status
from backchannel.services.tenancy.shared_refs import co_member_workspace, sharing_workspaces
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.storage.main import apps
from backchannel.storage.shard import users
from backchannel.types import is_keyed_id


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_after: str | None  # the id to continue after; None on the last page


@dataclass(frozen=True)
class BotInfo:
    bot: Bot
    app_id: str | None  # the app whose bot it is (None: a bot of no app, admin create-bot)


@dataclass(frozen=True)
class Caller:
    workspace: Workspace
    user: User


async def describe_caller(ctx: ServiceContext, info: TokenInfo) -> Caller:
    workspace = await find_workspace(ctx, info.workspace_id)
    try:
        user = await get_user(ctx, info.workspace_id, info.user_id)
    except NotFound:
        raise AuthError("the token's user no longer exists", slack_error="invalid_auth") from None
    if user.deleted:
        raise AuthError("the token's user is deactivated", slack_error="account_inactive")
    return Caller(workspace, user)


async def get_user(ctx: ServiceContext, workspace_id: str, user_id: str) -> User:
    """A user of the workspace; user_not_found for anyone else's."""
    # Shared with the identical lookups in flight (router/consolidation.py).
    user = await ctx.router.read_shared(
        ShardFor(workspace_id), users.get_user_txn, workspace_id, user_id
    )
    if user is None:
        raise NotFound(f"no user {user_id}", slack_error="user_not_found")
    return with_current_status(user, ctx.clock())


async def get_visible_user(ctx: ServiceContext, caller: TokenInfo, user_id: str) -> User:
    """users.info: a person of the caller's workspace, or of another workspace when they
    share a channel with the caller; user_not_found for anyone else."""
    try:
        return await get_user(ctx, caller.workspace_id, user_id)
    except NotFound:
        if not is_keyed_id(user_id):
            raise
        home = await co_member_workspace(ctx, caller.workspace_id, caller.user_id, user_id)
        if home is None:
            raise
    return await get_user(ctx, home, user_id)


async def get_bot(ctx: ServiceContext, workspace_id: str, bot_id: str) -> BotInfo:
    """bots.info: a bot of the workspace, and its app; bot_not_found for anyone else's."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        bot = await users.get_bot_txn(conn, workspace_id, bot_id)
    if bot is None:
        raise NotFound(f"no bot {bot_id[:40]!r}", slack_error="bot_not_found")
    async with ctx.router.read(Main()) as conn:
        app = await apps.app_of_bot_txn(conn, workspace_id, bot.id)
    return BotInfo(bot, app.id if app else None)


async def list_users(
    ctx: ServiceContext, workspace_id: str, *, after: str | None, limit: int
) -> UserPage:
    """One page of the workspace's people and bots, deactivated ones included, by id."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = await users.list_users_txn(
            conn, workspace_id, after_id=after or "", limit=limit + 1
        )
    now = ctx.clock()
    page = [with_current_status(user, now) for user in found[:limit]]
    return UserPage(page, page[-1].id if len(found) > limit else None)


async def find_user_by_email(ctx: ServiceContext, workspace_id: str, email: str) -> User:
    """An active member of the workspace by email; users_not_found otherwise, as Slack says."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        user = await users.find_user_by_email_txn(conn, workspace_id, email.strip().lower())
    if user is None or user.deleted:
        raise NotFound(f"no active user with the email {email!r}", slack_error="users_not_found")
    return with_current_status(user, ctx.clock())


async def get_team(ctx: ServiceContext, info: TokenInfo, team_id: str | None) -> Workspace:
    """The caller's own workspace, or one it shares a channel with (as in Slack); any other
    team is not found (it is not theirs to see)."""
    if team_id is None or team_id == info.workspace_id:
        return await find_workspace(ctx, info.workspace_id)
    if team_id not in await sharing_workspaces(ctx, info.workspace_id):
        raise NotFound(f"no team {team_id}", slack_error="team_not_found")
    return await find_workspace(ctx, team_id)
