"""apps.*: Socket Mode's connections, Slack's app manifest API, and an app uninstalling
itself (docs/apps.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from backchannel.errors import InvalidArgument
from backchannel.models import App
from backchannel.services.apps import links, management
from backchannel.services.apps.envelopes import verification_token
from backchannel.services.apps.installs import manifest_of
from backchannel.services.apps.manifest import InvalidManifest
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.webapp.registry import Call, Handler, api_method
from backchannel.webapp.responses import SlackResponse, error, ok


def answering_invalid_manifests(handler: Handler) -> Handler:
    """Slack's reply to a manifest refused: every problem in `errors`, each a message and a
    JSON pointer to its field (and the same lines in response_metadata, as Slack adds to
    invalid_blocks)."""

    async def answer(call: Call) -> SlackResponse:
        try:
            return await handler(call)
        except InvalidManifest as refused:
            problems = [{"message": m, "pointer": p} for m, p in refused.problems]
            lines = [f"[ERROR] {m} ({p})" for m, p in refused.problems]
            metadata = {"messages": lines}
            return error(refused.slack_error, errors=problems, response_metadata=metadata)

    return answer


@api_method("apps.connections.open", published=False)
async def apps_connections_open(call: Call) -> SlackResponse:
    return ok(url=await links.open_connection(call.ctx, call.caller))


@api_method("apps.manifest.validate")
@answering_invalid_manifests
async def apps_manifest_validate(call: Call) -> SlackResponse:
    app_id = call.args.optional_string("app_id") or None
    await management.validate(call.ctx, call.caller, _manifest(call), app_id)
    return ok(errors=[])  # Slack's own reply to a valid manifest


@api_method("apps.manifest.create")
@answering_invalid_manifests
async def apps_manifest_create(call: Call) -> SlackResponse:
    made = await management.create(call.ctx, call.caller, _manifest(call))
    app = made.app
    workspace = await find_workspace(call.ctx, app.workspace_id)
    return ok(
        app_id=app.id,
        credentials={
            "client_id": app.client_id,
            "client_secret": made.client_secret,
            "verification_token": verification_token(app),
            "signing_secret": app.signing_secret,
        },
        oauth_authorize_url=_authorize_url(call.base_url, app),
        team_id=workspace.id,
        team_domain=workspace.domain,
        app_token=made.app_token,
        # Backchannel's own: the app is installed at once, and this is its bot.
        bot_token=made.bot_token,
        bot_user_id=app.bot_user_id,
        bot_id=app.bot_id,
        **({"user_token": made.user_token} if made.user_token else {}),
    )


@api_method("apps.manifest.update")
@answering_invalid_manifests
async def apps_manifest_update(call: Call) -> SlackResponse:
    app_id = call.args.string("app_id", error="invalid_app_id")
    app, changed = await management.update(call.ctx, call.caller, app_id, _manifest(call))
    return ok(app_id=app.id, permissions_updated=changed)


@api_method("apps.manifest.export")
async def apps_manifest_export(call: Call) -> SlackResponse:
    app_id = call.args.string("app_id", error="invalid_app_id")
    app = await management.access_app(call.ctx, call.caller, app_id)
    return ok(manifest=app.manifest)


@api_method("apps.manifest.delete")
async def apps_manifest_delete(call: Call) -> SlackResponse:
    app_id = call.args.string("app_id", error="invalid_app_id")
    await management.delete(call.ctx, call.caller, app_id)
    return ok()


@api_method("apps.uninstall")
async def apps_uninstall(call: Call) -> SlackResponse:
    args = call.args
    client_id = args.string("client_id", error="invalid_client_id")
    client_secret = args.string("client_secret", error="bad_client_secret")
    await management.uninstall_own(call.ctx, call.caller, client_id, client_secret)
    return ok()


def _manifest(call: Call) -> Any:
    """The manifest argument: JSON text (Slack's SDKs send it so), YAML text, or an object
    (in a JSON body)."""
    manifest = call.params.get("manifest")
    if isinstance(manifest, dict | str) and manifest:
        return manifest
    raise InvalidArgument("missing required field: manifest (JSON text)")


def _authorize_url(base_url: str, app: App) -> str:
    """Slack's OAuth install link for the app, on this server, with its scopes."""
    read = manifest_of(app)
    scopes = {"scope": read.bot_scopes, "user_scope": read.user_scopes}
    query = "&".join(
        f"{name}={quote(','.join(sorted(listed)), safe=',:')}"
        for name, listed in scopes.items()
        if listed
    )
    return f"{base_url}/oauth/v2/authorize?client_id={app.client_id}&{query}".rstrip("&")
