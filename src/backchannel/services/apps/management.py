"""Slack's manifest API (`apps.manifest.*`) and `apps.uninstall`: who may manage a
workspace's apps, and how (docs/apps.md, The manifest API).

Slack's manifest API takes an app configuration token; Backchannel takes the own token of
an admin or owner of the workspace (or of its organisation's admin), and every app it names
must be of that token's workspace: another's is `app_not_found`, as one that never was.
"""

from __future__ import annotations

import hmac
from typing import Any

from backchannel.errors import AuthError, InvalidArgument, NotFound
from backchannel.models import App, TokenInfo
from backchannel.router import Main
from backchannel.services.apps.installs import (
    Installed,
    create_app,
    get_app,
    manifest_of,
    uninstall_app,
    update_app,
)
from backchannel.services.apps.manifest import Manifest, parse_manifest
from backchannel.services.context import ServiceContext
from backchannel.services.identity import credentials as creds
from backchannel.services.tenancy.organisations import may_administer
from backchannel.storage.main import apps as store


async def check_app_admin(ctx: ServiceContext, caller: TokenInfo) -> None:
    """A person's own token (not_allowed_token_type for a bot's or an app's) whose person
    administers the token's workspace (no_permission otherwise)."""
    if caller.kind != "user" or caller.app_id is not None:
        raise AuthError(
            "apps are managed with a workspace admin's own token",
            slack_error="not_allowed_token_type",
        )
    if not await may_administer(ctx, caller, caller.workspace_id):
        raise AuthError(
            "only an admin or owner of the workspace may manage its apps",
            slack_error="no_permission",
        )


async def access_app(
    ctx: ServiceContext, caller: TokenInfo, app_id: str, *, missing: str = "app_not_found"
) -> App:
    """An installed app of the admin's workspace; `missing` (Slack's error) for any other."""
    await check_app_admin(ctx, caller)
    try:
        app = await get_app(ctx, app_id)
    except NotFound:
        app = None
    if app is None or app.workspace_id != caller.workspace_id:
        raise NotFound(f"no app {app_id[:40]!r} in this workspace", slack_error=missing)
    return app


async def validate(
    ctx: ServiceContext, caller: TokenInfo, manifest: Any, app_id: str | None
) -> Manifest:
    """apps.manifest.validate: the manifest read, or InvalidManifest with every problem."""
    if app_id:
        await access_app(ctx, caller, app_id, missing="invalid_app_id")
    else:
        await check_app_admin(ctx, caller)
    return parse_manifest(manifest)


async def create(ctx: ServiceContext, caller: TokenInfo, manifest: Any) -> Installed:
    """apps.manifest.create: the app, installed in the admin's workspace at once."""
    await check_app_admin(ctx, caller)
    return await create_app(
        ctx, workspace=caller.workspace_id, manifest=manifest, installed_by=caller.user_id
    )


async def update(
    ctx: ServiceContext, caller: TokenInfo, app_id: str, manifest: Any
) -> tuple[App, bool]:
    """apps.manifest.update: the app with its new manifest, and whether its scopes changed
    (Slack's `permissions_updated`)."""
    app = await access_app(ctx, caller, app_id)
    before = manifest_of(app)
    updated = await update_app(ctx, app.id, manifest)
    after = manifest_of(updated)
    changed = (before.bot_scopes, before.user_scopes) != (after.bot_scopes, after.user_scopes)
    return updated, changed


async def delete(ctx: ServiceContext, caller: TokenInfo, app_id: str) -> App:
    """apps.manifest.delete: uninstalled (its row stays, so its id is never reused)."""
    app = await access_app(ctx, caller, app_id)
    return await uninstall_app(ctx, app.id)


async def uninstall_own(
    ctx: ServiceContext, caller: TokenInfo, client_id: str, client_secret: str
) -> App:
    """apps.uninstall: an app uninstalls itself from the token's workspace, with its client
    id and secret and a token of its own (its bot's: it holds no person's token)."""
    async with ctx.router.read(Main()) as conn:
        found = await store.app_by_client_id_txn(conn, caller.workspace_id, client_id)
    if found is None:
        raise InvalidArgument("no app has this client_id here", slack_error="invalid_client_id")
    app, secret_hash = found
    if not hmac.compare_digest(creds.hash_token(client_secret), secret_hash):
        raise AuthError("client_secret is not this app's", slack_error="bad_client_secret")
    if caller.app_id != app.id:
        raise AuthError("the token is not this app's", slack_error="client_id_token_mismatch")
    return await uninstall_app(ctx, app.id)
