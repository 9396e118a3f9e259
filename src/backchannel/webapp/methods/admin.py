"""admin.*: an organisation admin's methods (docs/organisations.md)."""

from __future__ import annotations

from typing import Any

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.models import Workspace
from backchannel.services.tenancy import organisations, shared_channels, teams
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok

TEAMS_CURSOR = "teams"


@api_method("admin.teams.create")
async def admin_teams_create(call: Call) -> SlackResponse:
    args = call.args
    workspace = await teams.create_team(
        call.ctx,
        call.caller,
        domain=args.string("team_domain"),
        name=args.string("team_name"),
    )
    return ok(team=workspace.id)


@api_method("admin.teams.list")
async def admin_teams_list(call: Call) -> SlackResponse:
    args = call.args
    limit = args.limit(default=100, maximum=100)
    after = decode_cursor(TEAMS_CURSOR, args.optional_string("cursor")) or ""
    page = await organisations.list_teams(call.ctx, call.caller, after=after, limit=limit)
    return ok(
        teams=[_team_json(workspace, call.base_url) for workspace in page.workspaces],
        response_metadata=next_cursor_metadata(TEAMS_CURSOR, page.next_after),
    )


@api_method("admin.users.assign")
async def admin_users_assign(call: Call) -> SlackResponse:
    args = call.args
    channel_ids = args.csv("channel_ids") if args.optional_string("channel_ids") else []
    await organisations.assign_user(
        call.ctx,
        call.caller,
        team_id=args.string("team_id"),
        user_id=args.string("user_id"),
        channel_ids=channel_ids,
    )
    return ok()


@api_method("admin.users.remove")
async def admin_users_remove(call: Call) -> SlackResponse:
    args = call.args
    await organisations.remove_user(
        call.ctx, call.caller, team_id=args.string("team_id"), user_id=args.string("user_id")
    )
    return ok()


@api_method("admin.conversations.setTeams")
async def admin_conversations_set_teams(call: Call) -> SlackResponse:
    args = call.args
    raw = args.optional_string("target_team_ids")
    await shared_channels.set_teams(
        call.ctx,
        call.caller,
        channel_id=args.string("channel_id", error="channel_not_found"),
        team_id=args.optional_string("team_id") or None,
        target_team_ids=args.csv("target_team_ids") if raw else [],
        org_channel=args.flag("org_channel"),
    )
    return ok()


@api_method("admin.conversations.getTeams")
async def admin_conversations_get_teams(call: Call) -> SlackResponse:
    args = call.args
    limit = args.limit(default=100, maximum=1000)
    after = decode_cursor(TEAMS_CURSOR, args.optional_string("cursor")) or ""
    page = await shared_channels.get_teams(
        call.ctx,
        call.caller,
        channel_id=args.string("channel_id", error="channel_not_found"),
        after=after,
        limit=limit,
    )
    return ok(
        team_ids=page.team_ids,
        response_metadata=next_cursor_metadata(TEAMS_CURSOR, page.next_after),
    )


@api_method("admin.conversations.disconnectShared")
async def admin_conversations_disconnect_shared(call: Call) -> SlackResponse:
    args = call.args
    raw = args.optional_string("leaving_team_ids")
    await shared_channels.disconnect(
        call.ctx,
        call.caller,
        channel_id=args.string("channel_id", error="channel_not_found"),
        leaving_team_ids=args.csv("leaving_team_ids") if raw else [],
    )
    return ok()


def _team_json(workspace: Workspace, base_url: str) -> dict[str, Any]:
    return {
        "id": workspace.id,
        "name": workspace.name,
        "discoverability": "hidden",
        "team_url": f"{base_url}/",
    }
