"""Installing a Slack app in a workspace from its manifest, changing it, and uninstalling it
(docs/apps.md): `admin create-app` and Slack's `apps.manifest.*` do it.

An install makes, as one change of the main DB and the workspace's shard, the app's bot
(its user and row), a bot token carrying the manifest's bot scopes, an app-level token
(xapp, connections:write) for Socket Mode, a signing secret and client credentials.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from backchannel.errors import AuthError, NotFound
from backchannel.models import App, TokenInfo
from backchannel.router import Main, ShardFor, Transaction
from backchannel.services.apps import app_events
from backchannel.services.apps.manifest import Manifest, parse_manifest
from backchannel.services.context import ServiceContext
from backchannel.services.crossdb import Undo, main_then_shards
from backchannel.services.identity import credentials as creds
from backchannel.services.identity.revocation import announce_txn, forget
from backchannel.services.people.users import add_bot_txn, set_deactivated_txn
from backchannel.services.realtime import events
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.services.validation import check_display_name
from backchannel.storage.main import apps as store
from backchannel.storage.main import credentials as credential_store
from backchannel.types import APP, keyspace_of, new_keyed_id

APP_TOKEN_SCOPES = frozenset({"connections:write"})


@dataclass(frozen=True)
class Installed:
    """A new install: the app, and its secrets, shown once (only hashes of the tokens and
    the client secret are kept)."""

    app: App
    bot_token: str
    app_token: str
    client_secret: str
    # The installer's token for the app (xoxp, the manifest's user scopes): only when the
    # manifest asks for user scopes and a person installed it.
    user_token: str | None = None


async def create_app(
    ctx: ServiceContext, *, workspace: str, manifest: Any, installed_by: str | None = None
) -> Installed:
    """Install an app from its manifest (YAML or JSON text, or parsed) in a workspace (id or
    domain); InvalidManifest with every problem, and nothing made, otherwise."""
    read = parse_manifest(manifest)
    bot_name = check_display_name(read.bot_name, limit=80)
    target = await find_workspace(ctx, workspace)
    now = ctx.clock()
    app_id = new_keyed_id(APP, target.keyspace)
    app_token = _app_token(app_id)
    client_secret = secrets.token_hex(16)
    async with main_then_shards(ctx) as (main_conn, open_shard):
        bot = await add_bot_txn(
            ctx, main_conn, open_shard, target, bot_name, scopes=read.bot_scopes, app_id=app_id
        )
        app = App(
            id=app_id,
            workspace_id=target.id,
            name=read.name,
            bot_id=bot.bot.id,
            bot_user_id=bot.user.id,
            manifest=read.raw,
            signing_secret=secrets.token_hex(16),
            client_id=f"{target.keyspace}.{secrets.randbelow(10**12):012d}",
            installed_by=installed_by,
            created=now,
            updated=now,
        )
        await store.insert_app_txn(main_conn, app, creds.hash_token(client_secret))
        # It hears what happens from its install on, whenever it first connects.
        head = await events.stream_head(ctx, await workspace_log(ctx, target.id))
        await store.set_position_txn(main_conn, app_id, head, now)
        await credential_store.insert_token_txn(
            main_conn,
            token_hash=creds.hash_token(app_token),
            info=TokenInfo(bot.user.id, target.id, "app", scopes=APP_TOKEN_SCOPES, app_id=app_id),
            now=now,
        )
        user_token = None
        if read.user_scopes and installed_by is not None:
            user_token = creds.new_token("user")
            granted = TokenInfo(
                installed_by, target.id, "user", scopes=read.user_scopes, app_id=app_id
            )
            await credential_store.insert_token_txn(
                main_conn, token_hash=creds.hash_token(user_token), info=granted, now=now
            )
    return Installed(app, bot.token, app_token, client_secret, user_token)


def _app_token(app_id: str) -> str:
    """Slack's shape for an app-level token: xapp-1-<app id>-<number>-<secret>."""
    return f"xapp-1-{app_id}-{secrets.randbelow(10**13):013d}-{secrets.token_hex(32)}"


async def get_app(ctx: ServiceContext, app_id: str) -> App:
    """An installed app; app_not_found (Slack's error) for one unknown or uninstalled."""
    try:
        keyspace_of(app_id)
    except ValueError:
        raise NotFound(f"no app {app_id}", slack_error="app_not_found") from None
    async with ctx.router.read(Main()) as conn:
        found = await store.app_txn(conn, app_id)
    if found is None or found.uninstalled is not None:
        raise NotFound(f"no app {app_id}", slack_error="app_not_found")
    return found


async def installed_apps(ctx: ServiceContext, workspace_ids: list[str] | None = None) -> list[App]:
    async with ctx.router.read(Main()) as conn:
        return await store.installed_apps_txn(conn, workspace_ids)


def manifest_of(app: App) -> Manifest:
    """The manifest an installed app was made from (it was valid then)."""
    return parse_manifest(app.manifest)


async def update_app(ctx: ServiceContext, app_id: str, manifest: Any) -> App:
    """Replace an app's manifest: its name, scopes (its bot token's) and subscriptions."""
    read = parse_manifest(manifest)
    app = await get_app(ctx, app_id)
    now = ctx.clock()
    async with ctx.router.write(Main()) as conn:
        changes: dict[str, Any] = {"name": read.name, "manifest": read.raw, "updated": now}
        if read.request_url != manifest_of(app).request_url:  # checked and tried afresh
            changes |= {"url_verified": None, "delivery_disabled": None, "delivery_error": None}
        await store.update_app_txn(conn, app.id, **changes)
        changed = await credential_store.set_app_scopes_txn(conn, app.id, "bot", read.bot_scopes)
    for token_hash in changed:  # other processes' caches expire (token_cache.py)
        ctx.tokens.forget(token_hash)
    return replace(app, **changes)


async def uninstall_app(ctx: ServiceContext, app_id: str) -> App:
    """Uninstall: the app's tokens are revoked (its sockets close), it is told so in its
    workspace's log (`tokens_revoked`, then `app_uninstalled`: app_events.py) and receives
    nothing after. Its bot user stays, deactivated, messages and all, as Slack keeps it."""
    app = await get_app(ctx, app_id)
    now = ctx.clock()
    async with main_then_shards(ctx) as (main_conn, open_shard):
        await store.update_app_txn(main_conn, app.id, uninstalled=now, updated=now)
        revoked = await credential_store.revoke_app_tokens_txn(main_conn, app.id, now)
        async with open_shard(ShardFor(app.workspace_id), _reactivate(ctx, app)) as conn:
            await set_deactivated_txn(ctx, conn, app.workspace_id, app.bot_user_id, deleted=True)
            await events.append_txn(ctx, conn, app_events.tokens_revoked(app, revoked, now))
            await events.append_txn(ctx, conn, app_events.app_uninstalled(app, now))
            await announce_txn(ctx, conn, revoked)
    forget(ctx, revoked)
    return replace(app, uninstalled=now, updated=now)


def _reactivate(ctx: ServiceContext, app: App) -> Undo:
    """The main DB refused the uninstall after the shard took it: the bot is back (a
    revocation announced stays announced: its sockets closing early is harmless)."""

    async def undo(conn: Transaction) -> None:
        await set_deactivated_txn(ctx, conn, app.workspace_id, app.bot_user_id, deleted=False)

    return undo


def check_app_token(caller: TokenInfo) -> str:
    """The app an app-level token (xapp) belongs to; not_allowed_token_type for any other."""
    if caller.kind != "app" or caller.app_id is None:
        raise AuthError(
            "only an app-level token (xapp-) may do this", slack_error="not_allowed_token_type"
        )
    return caller.app_id
