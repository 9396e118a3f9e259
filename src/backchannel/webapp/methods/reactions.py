"""reactions.*: emoji reactions on messages."""

from __future__ import annotations

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.services.messaging import messages, reactions
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import message_json

CURSOR = "reactions"


@api_method("reactions.add")
async def add(call: Call) -> SlackResponse:
    channel_id, ts = call.args.message_item()
    await reactions.add_reaction(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
        name=call.args.string("name", error="invalid_name"),
    )
    return ok()


@api_method("reactions.remove")
async def remove(call: Call) -> SlackResponse:
    channel_id, ts = call.args.message_item()
    await reactions.remove_reaction(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
        name=call.args.string("name", error="invalid_name"),
    )
    return ok()


@api_method("reactions.get")
async def get(call: Call) -> SlackResponse:
    channel_id, ts = call.args.message_item()
    message = await messages.get_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
        is_bot=call.caller.kind == "bot",
    )
    # `full` asks for every reacting person; they are always all listed here.
    return ok(type="message", channel=channel_id, message=message_json(message))


@api_method("reactions.list")
async def list_(call: Call) -> SlackResponse:
    args = call.args
    page = await reactions.reacted_messages(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        viewer=call.caller.user_id,
        reactor=args.optional_string("user") or call.caller.user_id,
        after=decode_cursor(CURSOR, args.optional_string("cursor")),
        limit=args.limit(default=100, maximum=1000),
        is_bot=call.caller.kind == "bot",
    )
    items = [
        {"type": "message", "channel": message.channel_id, "message": message_json(message)}
        for message in page.messages
    ]
    return ok(items=items, response_metadata=next_cursor_metadata(CURSOR, page.next_after))
