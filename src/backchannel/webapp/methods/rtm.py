"""rtm.connect and rtm.start: the websocket URL of the caller's edge, and the boot payload.

Both hand out a URL with a single-use ticket valid for 30 seconds (services/realtime/edges.py,
services/realtime/tickets.py), and answer migration_in_progress while the workspace is frozen for a
move (services/tenancy/assignments.py); see docs/realtime.md.
"""

from __future__ import annotations

from typing import Any

from backchannel.models import User
from backchannel.services.people import directory
from backchannel.services.people.presence import presence_of
from backchannel.services.realtime import boot, edges
from backchannel.services.realtime.boot import Boot, BootConversation
from backchannel.services.tenancy import assignments
from backchannel.types import ts_at
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import (
    boot_list,
    bot_json,
    conversation_json,
    message_json,
    self_json,
    team_json,
    user_json,
)

# What Slack's rtm.start carries that Backchannel has no feature behind: the empty values.
NO_DND = {
    "dnd_enabled": False,
    "next_dnd_start_ts": 1,
    "next_dnd_end_ts": 1,
    "snooze_enabled": False,
}
CACHE_VERSION = "v1"


@api_method("rtm.connect")
async def rtm_connect(call: Call) -> SlackResponse:
    who = await directory.describe_caller(call.ctx, call.caller)
    url = await edges.socket_url(call.ctx, call.caller)
    workspace = who.workspace
    return ok(
        url=url,
        self={"id": who.user.id, "name": who.user.name},
        team={"id": workspace.id, "name": workspace.name, "domain": workspace.domain},
    )


@api_method("rtm.start")
async def rtm_start(call: Call) -> SlackResponse:
    # Before the boot's reads.
    await assignments.check_not_moving(call.ctx, call.caller.workspace_id)
    found = await boot.boot(call.ctx, call.caller)
    kinds = _by_kind(found)
    return ok(
        url=found.url,
        self=_self_json(found),
        team=team_json(found.workspace, call.base_url),
        users=[
            user_json(user, call.base_url, presence=presence_of(user).presence)
            for user in found.users
        ],
        channels=kinds["channels"],
        groups=kinds["groups"],
        ims=kinds["ims"],
        mpims=kinds["mpims"],
        bots=[bot_json(bot, call.base_url) for bot in found.bots],
        cache_ts=int(found.now),
        cache_version=CACHE_VERSION,
        cache_ts_version=CACHE_VERSION,
        latest_event_ts=ts_at(found.now),
        dnd=NO_DND,
        subteams={"all": [], "self": []},
        can_manage_shared_channels=False,
        read_only_channels=[],
        non_threadable_channels=[],
        thread_only_channels=[],
    )


def _self_json(found: Boot) -> dict[str, Any]:
    me = found.user
    return self_json(me.id, me.name, me.updated, manual_away=presence_of(me).manual_away)


def _by_kind(found: Boot) -> dict[str, list[dict[str, Any]]]:
    """Slack's four lists: public channels, private channels, DMs and group DMs."""
    kinds: dict[str, list[dict[str, Any]]] = {"channels": [], "groups": [], "ims": [], "mpims": []}
    for conversation in found.conversations:
        payload = _conversation_json(conversation, found.user)
        kinds[boot_list(payload)].append(payload)
    return kinds


def _conversation_json(conversation: BootConversation, viewer: User) -> dict[str, Any]:
    context = viewer.workspace_id
    if not conversation.is_member:
        return conversation_json(
            conversation.channel, viewer=viewer.id, is_member=False, context_team=context
        )
    payload = conversation_json(
        conversation.channel,
        viewer=viewer.id,
        context_team=context,
        is_member=True,
        members=conversation.members,
        last_read=conversation.last_read,
        unread_count=conversation.unread_count,
    )
    latest = conversation.latest
    payload["latest"] = message_json(latest) if latest is not None else None
    if not conversation.channel.is_im:  # a DM names its other person in `user` instead
        payload["members"] = conversation.members
    return payload
