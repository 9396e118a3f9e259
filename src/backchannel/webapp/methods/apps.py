"""apps.*: Socket Mode's connections and Slack's app manifest API (docs/apps.md)."""

from __future__ import annotations

from backchannel.services.apps import links
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok


@api_method("apps.connections.open", published=False)
async def apps_connections_open(call: Call) -> SlackResponse:
    return ok(url=await links.open_connection(call.ctx, call.caller))
