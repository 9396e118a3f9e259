"""auth.test: who a token speaks for; auth.revoke: retire the token."""

from __future__ import annotations

from backchannel.services.identity import auth
from backchannel.services.people import directory
from backchannel.services.tenancy import organisations
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok


@api_method("auth.test")
async def auth_test(call: Call) -> SlackResponse:
    who = await directory.describe_caller(call.ctx, call.caller)
    fields = {
        "url": f"{call.base_url}/",
        "team": who.workspace.name,
        "user": who.user.name,
        "team_id": who.workspace.id,
        "user_id": who.user.id,
        "is_enterprise_install": False,
    }
    if who.user.bot_id is not None:
        fields["bot_id"] = who.user.bot_id
    return ok(**fields)


@api_method("auth.revoke")
async def auth_revoke(call: Call) -> SlackResponse:
    """Revoke the calling token; with test=true, only say that it could be revoked."""
    if call.args.flag("test"):
        return ok(revoked=False)
    assert call.token is not None, "an authenticated call carries its token"
    return ok(revoked=await auth.revoke(call.ctx, call.token))


@api_method("auth.teams.list", published=False)
async def auth_teams_list(call: Call) -> SlackResponse:
    """The workspaces the caller sits in (Slack's own method answers the same question for
    an organisation-wide app; the web client's workspace switcher asks it)."""
    found = await organisations.caller_workspaces(call.ctx, call.caller)
    return ok(
        teams=[{"id": w.id, "name": w.name, "domain": w.domain} for w in found],
        response_metadata={"next_cursor": ""},
    )
