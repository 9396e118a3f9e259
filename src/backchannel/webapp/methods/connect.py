"""Slack Connect: conversations.inviteShared, .acceptSharedInvite, .declineSharedInvite and
.listConnectInvites (docs/organisations.md, part 3).

Slack's published spec (2021) does not describe them, so they are registered with
`published=False`: out of /api/openapi.json, their errors still Slack-shaped.
"""

from __future__ import annotations

from typing import Any

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.services.tenancy import connect
from backchannel.services.validation import check_channel_name
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok

INVITES_CURSOR = "invites"


@api_method("conversations.inviteShared", published=False)
async def invite_shared(call: Call) -> SlackResponse:
    args = call.args
    invite = await connect.invite_shared(
        call.ctx,
        call.caller,
        channel_id=args.string("channel", error="channel_not_found"),
        emails=args.csv("emails") if args.optional_string("emails") else [],
        user_ids=args.csv("user_ids") if args.optional_string("user_ids") else [],
        team_id=args.optional_string("team_id") or None,
    )
    return ok(invite_id=invite.id, is_legacy_shared_channel=False)


@api_method("conversations.acceptSharedInvite", published=False)
async def accept_shared_invite(call: Call) -> SlackResponse:
    args = call.args
    # Slack names the channel as the accepting side will see it; a shared channel here keeps
    # its home's name, so the name is only checked.
    check_channel_name(args.string("channel_name", error="invalid_name"))
    invite, channel = await connect.accept_shared_invite(
        call.ctx,
        call.caller,
        invite_id=args.optional_string("invite_id") or None,
        channel_id=args.optional_string("channel_id") or None,
    )
    return ok(implicit_approval=False, channel_id=channel.id, invite_id=invite.id)


@api_method("conversations.declineSharedInvite", published=False)
async def decline_shared_invite(call: Call) -> SlackResponse:
    await connect.decline_shared_invite(
        call.ctx, call.caller, invite_id=call.args.string("invite_id", error="invite_not_found")
    )
    return ok()


@api_method("conversations.listConnectInvites", published=False)
async def list_connect_invites(call: Call) -> SlackResponse:
    args = call.args
    limit = args.number("count", default=100, minimum=1, maximum=1000)
    after = decode_cursor(INVITES_CURSOR, args.optional_string("cursor")) or ""
    page = await connect.list_connect_invites(call.ctx, call.caller, after=after, limit=limit)
    return ok(
        invites=[_invite_json(view) for view in page.views],
        response_metadata=next_cursor_metadata(INVITES_CURSOR, page.next_after),
    )


def _invite_json(view: connect.InviteView) -> dict[str, Any]:
    invite, channel = view.invite, view.channel
    details: dict[str, Any] = {
        "id": invite.id,
        "date_created": int(invite.created),
        "date_invalid": int(invite.expires),
        "inviting_team": {"id": view.host.id, "name": view.host.name, "domain": view.host.domain},
        "inviting_user": {"id": invite.inviter_id},
    }
    if invite.target_email is not None:
        details["recipient_email"] = invite.target_email
    if invite.target_workspace_id is not None:
        details["recipient_team_id"] = invite.target_workspace_id
    return {
        "direction": view.direction,
        "status": invite.state,
        "date_last_updated": int(invite.created),
        "invite_type": "channel",
        "invite": details,
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "is_private": channel.is_private,
            "is_im": False,
        },
    }
