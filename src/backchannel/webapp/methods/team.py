"""team.info: the caller's workspace."""

from __future__ import annotations

from backchannel.services.people import directory
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import team_json


@api_method("team.info")
async def team_info(call: Call) -> SlackResponse:
    team_id = call.args.optional_string("team") or None
    workspace = await directory.get_team(call.ctx, call.caller, team_id)
    return ok(team=team_json(workspace, call.base_url))
