"""Socket Mode's front door (docs/apps.md): `apps.connections.open` gives an app-level token
a single-use URL on the edge that owns its workspace; the edge checks it on arrival."""

from __future__ import annotations

from backchannel.errors import BackchannelError
from backchannel.models import App, TokenInfo
from backchannel.services.apps.installs import check_app_token, get_app
from backchannel.services.context import ServiceContext
from backchannel.services.realtime.edges import socket_url

LINK_PATH = "/link/"


async def open_connection(ctx: ServiceContext, caller: TokenInfo) -> str:
    """A Socket Mode URL for an app-level token (not_allowed_token_type for another)."""
    app_id = check_app_token(caller)
    app = await get_app(ctx, app_id)
    return await socket_url(ctx, caller, path=LINK_PATH, extra={"app_id": app.id})


async def check_link(ctx: ServiceContext, caller: TokenInfo, app_id: str) -> App | None:
    """The app a redeemed ticket opens a connection for: issued to an app-level token of
    the installed app it names; None otherwise."""
    if caller.kind != "app" or not app_id:
        return None
    try:
        app = await get_app(ctx, app_id)
    except BackchannelError:
        return None
    mine = app.bot_user_id == caller.user_id and app.workspace_id == caller.workspace_id
    return app if mine else None
