"""People and bots: creation, with credentials and a first token.

A new member is announced to the workspace (team_join, and their joining #general); a
deactivation is a user_change (docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backchannel.errors import AlreadyExists, NotFound
from backchannel.models import Bot, Event, TokenInfo, User, Workspace
from backchannel.models.events import to_workspace
from backchannel.router import ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.channels import member_joined
from backchannel.services.crossdb import OpenShard, Undo, main_then_shards
from backchannel.services.identity import credentials as creds
from backchannel.services.people.profiles import user_changed
from backchannel.services.realtime import events
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.services.validation import (
    check_display_name,
    check_email,
    first_free,
    handle_from_name,
)
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import credentials as credential_store
from backchannel.storage.main import organisations as org_store
from backchannel.storage.shard import channels, users
from backchannel.storage.shard import memberships as membership_store
from backchannel.types import BOT, USER, new_keyed_id, ts_at
from backchannel.wire import user_json


@dataclass(frozen=True)
class NewUser:
    user: User
    token: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class NewBot:
    user: User
    bot: Bot
    token: str


async def create_user(
    ctx: ServiceContext,
    *,
    workspace: str,
    email: str,
    name: str,
    password: str | None = None,
    admin: bool = False,
) -> NewUser:
    """A member of the workspace (id or domain), in #general, with a user token (xoxp)."""
    email = check_email(email)
    real_name = check_display_name(name)
    handle = handle_from_name(real_name)
    if password is not None:
        creds.check_password(password)
    target = await find_workspace(ctx, workspace)
    now = ctx.clock()
    user = User(
        id=new_keyed_id(USER, target.keyspace),
        workspace_id=target.id,
        name=handle,
        real_name=real_name,
        display_name="",
        email=email,
        is_admin=admin,
        is_owner=False,
        is_bot=False,
        bot_id=None,
        deleted=False,
        tz="UTC",
        profile=new_profile(real_name, email),
        updated=now,
    )
    token = creds.new_token("user")
    password_hash = creds.hash_password(password) if password is not None else None
    async with main_then_shards(ctx) as (main_conn, open_shard):
        if await credential_store.email_taken_txn(main_conn, target.id, email):
            raise AlreadyExists(
                f"{email} already has an account in {target.domain}", slack_error="email_taken"
            )
        await credential_store.insert_credential_txn(
            main_conn,
            user_id=user.id,
            workspace_id=target.id,
            email=email,
            password_hash=password_hash,
        )
        await org_store.add_seat_txn(main_conn, user.id, target.id, now)
        await credential_store.insert_token_txn(
            main_conn,
            token_hash=creds.hash_token(token),
            info=TokenInfo(user.id, target.id, "user"),
            now=now,
        )
        async with open_shard(ShardFor(target.id), undo_new_user(ctx, user)) as conn:
            await _insert_user(conn, user)
            await events.append_txn(ctx, conn, team_join(user, ctx.public_url))
            general = await channels.general_channel_txn(conn, target.id)
            if general is not None:
                await membership_store.add_member_txn(
                    conn, channel_id=general.id, user_id=user.id, workspace_id=target.id, now=now
                )
                await events.append_txn(ctx, conn, member_joined(general, user.id, ts_at(now)))
    return NewUser(user, token)


async def create_bot(ctx: ServiceContext, *, workspace: str, name: str) -> NewBot:
    """A bot user (U...) with its bot id (B...) and a bot token (xoxb)."""
    real_name = check_display_name(name, limit=80)
    handle_from_name(real_name)  # refuse a name with no letters before anything is looked up
    target = await find_workspace(ctx, workspace)
    async with main_then_shards(ctx) as (main_conn, open_shard):
        return await add_bot_txn(ctx, main_conn, open_shard, target, real_name)


async def add_bot_txn(
    ctx: ServiceContext,
    main_conn: Transaction,
    open_shard: OpenShard,
    target: Workspace,
    real_name: str,
    *,
    scopes: frozenset[str] | None = None,
    app_id: str | None = None,
) -> NewBot:
    """Make a bot inside a change of the main DB and the workspace's shard: its user, its
    row and its token (an app's bot token carries the app and its scopes)."""
    handle_from_name(real_name)  # refuse a name with no letters before anything is written
    now = ctx.clock()
    bot_id = new_keyed_id(BOT, target.keyspace)
    user = new_bot_user(target, bot_id, real_name, now)
    bot = Bot(bot_id, target.id, user.id, real_name, False, now)
    token = creds.new_token("bot")
    info = TokenInfo(user.id, target.id, "bot", scopes=scopes, app_id=app_id)
    await credential_store.insert_token_txn(
        main_conn, token_hash=creds.hash_token(token), info=info, now=now
    )
    async with open_shard(ShardFor(target.id), undo_new_user(ctx, user)) as conn:
        if app_id is not None:  # apps' bots may share a name (a copy of an app, as in Slack)
            user = replace(user, name=await free_handle_txn(conn, target.id, user.name))
        await _insert_user(conn, user)
        await users.insert_bot_txn(conn, bot)
        await events.append_txn(ctx, conn, team_join(user, ctx.public_url))
    return NewBot(user, bot, token)


async def deactivate_user(ctx: ServiceContext, *, workspace_id: str, user_id: str) -> None:
    """Mark a member (or bot user) deactivated: still listed, flagged deleted, not findable."""
    async with ctx.router.write(ShardFor(workspace_id)) as conn:
        await set_deactivated_txn(ctx, conn, workspace_id, user_id, deleted=True)


async def set_deactivated_txn(
    ctx: ServiceContext, conn: Transaction, workspace_id: str, user_id: str, *, deleted: bool
) -> None:
    """Deactivate (or bring back) a member inside a change of the workspace's shard
    (`conn`), announced as a user_change; a bot user's bot is marked with it."""
    now = ctx.clock()
    user = await users.get_user_txn(conn, workspace_id, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", slack_error="user_not_found")
    await users.set_deleted_txn(conn, workspace_id, user_id, deleted=deleted, now=now)
    changed = replace(user, deleted=deleted, updated=now)
    await events.append_txn(ctx, conn, user_changed(changed, now, ctx.public_url))


def team_join(user: User, base_url: str) -> Event:
    payload = {
        "type": "team_join",
        "user": user_json(user, base_url),
        "event_ts": ts_at(user.updated),
    }
    return to_workspace(user.workspace_id, payload)


def undo_new_user(ctx: ServiceContext, user: User) -> Undo:
    """Undo a new user whose shard committed when the main DB then failed. The shard's log
    already holds their team_join (published with this undo's: services/crossdb.py), so it
    gets the matching end: the user, deactivated."""

    async def undo(conn: Transaction) -> None:
        await users.delete_user_txn(conn, user.workspace_id, user.id)
        gone = replace(user, deleted=True)
        await events.append_txn(ctx, conn, user_changed(gone, user.updated, ctx.public_url))

    return undo


def new_bot_user(workspace: Workspace, bot_id: str, real_name: str, now: float) -> User:
    """The user (U...) that speaks for a bot (B...): bots, webhooks."""
    return User(
        id=new_keyed_id(USER, workspace.keyspace),
        workspace_id=workspace.id,
        name=handle_from_name(real_name),
        real_name=real_name,
        display_name="",
        email=None,
        is_admin=False,
        is_owner=False,
        is_bot=True,
        bot_id=bot_id,
        deleted=False,
        tz="UTC",
        profile={**new_profile(real_name, None), "bot_id": bot_id, "always_active": True},
        updated=now,
    )


async def free_handle_txn(conn: Conn, workspace_id: str, wanted: str) -> str:
    """`wanted`, or the first of wanted-2, wanted-3... that nobody in the workspace has."""

    async def taken(name: str) -> bool:
        return await users.name_taken_txn(conn, workspace_id, name)

    return await first_free(wanted, taken)


async def _insert_user(conn: Conn, user: User) -> None:
    if await users.name_taken_txn(conn, user.workspace_id, user.name):
        raise AlreadyExists(
            f"the name {user.name!r} is taken in this workspace", slack_error="name_taken"
        )
    await users.insert_user_txn(conn, user)


def new_profile(real_name: str, email: str | None) -> dict[str, object]:
    """A new person's stored profile: their names, no status."""
    profile: dict[str, object] = {
        "real_name": real_name,
        "display_name": "",
        "real_name_normalized": real_name,
        "display_name_normalized": "",
        "status_text": "",
        "status_emoji": "",
    }
    if email is not None:
        profile["email"] = email
    return profile
