"""client.counts: the read state behind a client's badges (Slack's web client calls it
after booting; it is not in Slack's published spec, and neither is mention_count)."""

from __future__ import annotations

from typing import Any

from backchannel.services.realtime import boot
from backchannel.services.realtime.boot import BootConversation
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok


@api_method("client.counts", published=False)
async def client_counts(call: Call) -> SlackResponse:
    lists: dict[str, list[dict[str, Any]]] = {"channels": [], "mpims": [], "ims": []}
    for conversation in await boot.read_state(call.ctx, call.caller):
        channel = conversation.channel
        kind = "ims" if channel.is_im else "mpims" if channel.is_mpim else "channels"
        lists[kind].append(_counts_json(conversation))
    return ok(**lists)


def _counts_json(conversation: BootConversation) -> dict[str, Any]:
    latest = conversation.latest
    return {
        "id": conversation.channel.id,
        "last_read": conversation.last_read,
        "latest": latest.ts if latest is not None else None,
        "unread_count": conversation.unread_count,
        "mention_count": conversation.mention_count,
        "has_unreads": conversation.unread_count > 0,
    }
