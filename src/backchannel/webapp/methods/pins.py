"""pins.*: messages pinned to a channel."""

from __future__ import annotations

from backchannel.services.messaging import pins
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import message_json


@api_method("pins.add")
async def add(call: Call) -> SlackResponse:
    channel_id, ts = call.args.message_item(missing_channel="channel_not_found")
    await pins.pin_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
    )
    return ok()


@api_method("pins.remove")
async def remove(call: Call) -> SlackResponse:
    channel_id, ts = call.args.message_item(missing_channel="channel_not_found")
    await pins.unpin_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
    )
    return ok()


@api_method("pins.list")
async def list_(call: Call) -> SlackResponse:
    found = await pins.list_pins(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=call.args.string("channel", error="channel_not_found"),
        is_bot=call.caller.kind == "bot",
    )
    items = [
        {
            "type": "message",
            "channel": pin.message.channel_id,
            "message": message_json(pin.message),
            "created": int(pin.created),
            "created_by": pin.pinned_by,
        }
        for pin in found
    ]
    return ok(items=items)
