"""Looking people and workspaces up, with the caller's access checked."""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.errors import AuthError, NotFound
from backchannel.models import TokenInfo, User, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.workspaces import find_workspace
from backchannel.storage import users


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
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        user = await users.get_user_txn(conn, workspace_id, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", slack_error="user_not_found")
    return user
