"""chat.*: posting, editing and deleting messages, permalinks, /me and ephemeral messages."""

from __future__ import annotations

from typing import Any

from backchannel.services.messaging import messages
from backchannel.services.messaging.metadata import read_metadata
from backchannel.services.messaging.personas import Persona
from backchannel.webapp.args import Args
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import message_json, permalink


@api_method("chat.postMessage")
async def post_message(call: Call) -> SlackResponse:
    args = call.args
    message = await messages.post_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=args.string("channel", error="channel_not_found"),
        text=args.optional_string("text") or "",
        thread_ts=args.optional_ts("thread_ts"),
        reply_broadcast=args.flag("reply_broadcast"),
        by_bot=call.caller.kind == "bot",
        client_msg_id=args.optional_string("client_msg_id") or None,
        persona=_persona(args),
        metadata=read_metadata(args.raw.get("metadata")),
        link_names=args.flag("link_names"),
        **_rich_content(args),
    )
    shown = message_json(message, include_metadata=True)  # the poster sees what it sent
    return ok(channel=message.channel_id, ts=message.ts, message=shown)


@api_method("chat.meMessage")
async def me_message(call: Call) -> SlackResponse:
    message = await messages.post_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=call.args.string("channel", error="channel_not_found"),
        text=call.args.optional_string("text") or "",
        by_bot=call.caller.kind == "bot",
        subtype="me_message",
    )
    return ok(channel=message.channel_id, ts=message.ts)


@api_method("chat.update")
async def update(call: Call) -> SlackResponse:
    args = call.args
    message = await messages.update_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=args.string("channel", error="channel_not_found"),
        ts=args.ts("ts", error="message_not_found"),
        text=args.optional_string("text"),
        **_rich_content(args),
    )
    shown = message_json(message)
    return ok(channel=message.channel_id, ts=message.ts, text=message.text, message=shown)


@api_method("chat.delete")
async def delete(call: Call) -> SlackResponse:
    channel_id = call.args.string("channel", error="channel_not_found")
    ts = call.args.ts("ts", error="message_not_found")
    await messages.delete_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_id,
        ts=ts,
    )
    return ok(channel=channel_id, ts=ts)


@api_method("chat.getPermalink")
async def get_permalink(call: Call) -> SlackResponse:
    message = await messages.get_message(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=call.args.string("channel", error="channel_not_found"),
        ts=call.args.ts("message_ts", error="message_not_found"),
    )
    return ok(channel=message.channel_id, permalink=permalink(call.base_url, message))


@api_method("chat.postEphemeral")
async def post_ephemeral(call: Call) -> SlackResponse:
    args = call.args
    message_ts = await messages.post_ephemeral(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=args.string("channel", error="channel_not_found"),
        recipient=args.string("user", error="user_not_in_channel"),
        text=args.optional_string("text") or "",
        **_rich_content(args),
    )
    return ok(message_ts=message_ts)


def _persona(args: Args) -> Persona | None:
    """username, icon_emoji and icon_url, which Slack ignores with as_user=true."""
    if args.flag("as_user"):
        return None
    return Persona(
        username=args.optional_string("username"),
        icon_emoji=args.optional_string("icon_emoji"),
        icon_url=args.optional_string("icon_url"),
    )


def _rich_content(args: Args) -> dict[str, Any]:
    return {"blocks": args.json_list("blocks"), "attachments": args.json_list("attachments")}
