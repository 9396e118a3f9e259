"""conversations.* and users.conversations: channels, DMs, membership, history and threads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.models import Message, TokenInfo
from backchannel.services.conversations import channels, direct_messages
from backchannel.services.conversations import reading as conversations
from backchannel.services.conversations import settings as channel_settings
from backchannel.services.conversations.reading import ConversationView
from backchannel.services.messaging import history
from backchannel.services.messaging.history import TsRange
from backchannel.types import parse_ts
from backchannel.webapp.args import Args, check_ts
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import conversation_json, message_json

ALREADY_IN = "already_in_channel"


def channel_arg(args: Args) -> str:
    """The `channel` argument; Slack answers channel_not_found when it is missing."""
    return args.string("channel", error="channel_not_found")


def view_json(view: ConversationView, viewer: TokenInfo, *, counts: bool = True) -> dict[str, Any]:
    """A conversation as `viewer` sees it; `counts` adds is_member and num_members."""
    return conversation_json(
        view.channel,
        viewer=viewer.user_id,
        context_team=viewer.workspace_id,
        is_member=view.is_member if counts else None,
        num_members=view.num_members if counts else None,
        members=view.members,
        last_read=view.last_read,
    )


def _kinds(args: Args) -> list[str]:
    raw = args.optional_string("types") or "public_channel"
    return [kind.strip() for kind in raw.split(",") if kind.strip()]


@api_method("conversations.create")
async def create(call: Call) -> SlackResponse:
    channel = await channels.create_conversation(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        creator=call.caller.user_id,
        name=call.args.string("name", error="invalid_name_required"),
        is_private=call.args.flag("is_private"),
    )
    body = conversation_json(channel, viewer=call.caller.user_id, is_member=True, num_members=1)
    return ok(channel=body)


@api_method("conversations.list")
async def list_(call: Call) -> SlackResponse:
    page = await conversations.list_conversations(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        kinds=_kinds(call.args),
        exclude_archived=call.args.flag("exclude_archived"),
        after=decode_cursor("channel", call.args.optional_string("cursor")),
        limit=call.args.limit(),
    )
    return ok(
        channels=[view_json(view, call.caller) for view in page.items],
        response_metadata=next_cursor_metadata("channel", page.next_after),
    )


@api_method("users.conversations")
async def user_conversations(call: Call) -> SlackResponse:
    page = await conversations.user_conversations(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        caller=call.caller.user_id,
        user_id=call.args.optional_string("user") or None,
        kinds=_kinds(call.args),
        exclude_archived=call.args.flag("exclude_archived"),
        after=decode_cursor("channel", call.args.optional_string("cursor")),
        limit=call.args.limit(),
    )
    # Slack leaves is_member and num_members out of this method's conversations.
    return ok(
        channels=[view_json(view, call.caller, counts=False) for view in page.items],
        response_metadata=next_cursor_metadata("channel", page.next_after),
    )


@api_method("conversations.info")
async def info(call: Call) -> SlackResponse:
    view = await conversations.conversation_info(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
    )
    body = view_json(view, call.caller)
    if not call.args.flag("include_num_members"):
        body.pop("num_members", None)
    return ok(channel=body)


@api_method("conversations.members")
async def members(call: Call) -> SlackResponse:
    page = await conversations.list_members(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        after=decode_cursor("user", call.args.optional_string("cursor")),
        limit=call.args.limit(),
    )
    return ok(members=page.items, response_metadata=next_cursor_metadata("user", page.next_after))


@api_method("conversations.join")
async def join(call: Call) -> SlackResponse:
    joined = await channels.join_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
    )
    body = conversation_json(joined.channel, viewer=call.caller.user_id, is_member=True)
    if joined.already_in:
        return ok(channel=body, warning=ALREADY_IN, response_metadata={"warnings": [ALREADY_IN]})
    return ok(channel=body)


@api_method("conversations.leave")
async def leave(call: Call) -> SlackResponse:
    left = await channels.leave_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
    )
    return ok() if left else ok(not_in_channel=True)


@api_method("conversations.invite")
async def invite(call: Call) -> SlackResponse:
    channel = await channels.invite_to_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        inviter=call.caller.user_id,
        channel_id=channel_arg(call.args),
        user_ids=call.args.csv("users", error="no_user"),
    )
    return ok(channel=conversation_json(channel, viewer=call.caller.user_id, is_member=True))


@api_method("conversations.kick")
async def kick(call: Call) -> SlackResponse:
    await channels.kick_from_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        kicker=call.caller.user_id,
        channel_id=channel_arg(call.args),
        user_id=call.args.string("user", error="user_not_found"),
    )
    return ok()


@api_method("conversations.archive")
async def archive(call: Call) -> SlackResponse:
    await channel_settings.archive_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
    )
    return ok()


@api_method("conversations.unarchive")
async def unarchive(call: Call) -> SlackResponse:
    await channel_settings.unarchive_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
    )
    return ok()


@api_method("conversations.rename")
async def rename(call: Call) -> SlackResponse:
    channel = await channel_settings.rename_channel(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        name=call.args.string("name", error="invalid_name_required"),
    )
    return ok(channel=conversation_json(channel, viewer=call.caller.user_id))


@api_method("conversations.setTopic")
async def set_topic(call: Call) -> SlackResponse:
    channel = await channel_settings.set_topic(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        topic=call.args.optional_string("topic") or "",
    )
    return ok(channel=conversation_json(channel, viewer=call.caller.user_id, is_member=True))


@api_method("conversations.setPurpose")
async def set_purpose(call: Call) -> SlackResponse:
    channel = await channel_settings.set_purpose(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        purpose=call.args.optional_string("purpose") or "",
    )
    return ok(channel=conversation_json(channel, viewer=call.caller.user_id, is_member=True))


@api_method("conversations.open")
async def open_(call: Call) -> SlackResponse:
    caller, channel_id = call.caller, call.args.optional_string("channel")
    if channel_id:
        opened = await direct_messages.resume_conversation(
            call.ctx,
            workspace_id=caller.workspace_id,
            user_id=caller.user_id,
            channel_id=channel_id,
        )
    else:
        opened = await direct_messages.open_conversation(
            call.ctx,
            workspace_id=caller.workspace_id,
            user_id=caller.user_id,
            with_users=call.args.csv("users", error="users_list_not_supplied"),
        )
    if opened.channel.is_im and not call.args.flag("return_im"):
        body: dict[str, Any] = {"id": opened.channel.id}  # Slack's short answer for a DM
    else:
        body = conversation_json(
            opened.channel, viewer=caller.user_id, is_member=True, members=opened.members
        )
    if opened.already_open:
        return ok(channel=body, no_op=True, already_open=True)
    return ok(channel=body)


# -- history, threads, read markers ------------------------------------------------------

# conversations.replies' schema lists every field a thread's root and replies may carry.
_ROOT_FIELDS = {"type", "user", "text", "team", "ts", "thread_ts", "reply_count"}
_ROOT_FIELDS |= {"reply_users", "reply_users_count", "latest_reply", "last_read"}
# ...and what Slack sends on thread messages beyond the spec's list (tests/support/slack_spec.py).
_MESSAGE_EXTRAS = {
    "blocks",
    "attachments",
    "bot_id",
    "subtype",
    "client_msg_id",
    "reactions",
    "edited",
    "username",
    "icons",
    "metadata",
    "files",
}
_ROOT_FIELDS |= _MESSAGE_EXTRAS
_REPLY_FIELDS = {"type", "user", "text", "team", "ts", "thread_ts", "parent_user_id"}
_REPLY_FIELDS |= _MESSAGE_EXTRAS


def _range(args: Args) -> TsRange:
    inclusive = args.flag("inclusive")
    return TsRange(
        oldest=_bound(args, "oldest"),
        latest=_bound(args, "latest"),
        inclusive_oldest=inclusive,
        inclusive_latest=inclusive,
    )


def _bound(args: Args, name: str) -> int | None:
    """Slack's `oldest`/`latest` in microseconds: any number of seconds; 0 is no bound."""
    value = args.optional_ts(name, error=f"invalid_ts_{name}")
    return (parse_ts(value) or None) if value is not None else None


def _next_ts(args: Args) -> int | None:
    """The position in Slack's history cursor ("next_ts:<ts>"), in microseconds."""
    position = decode_cursor("next_ts", args.optional_string("cursor"))
    if position is None:
        return None
    return parse_ts(check_ts("cursor", position, error="invalid_cursor"))


@api_method("conversations.history")
async def history_(call: Call) -> SlackResponse:
    within, next_ts = _range(call.args), _next_ts(call.args)
    if next_ts is not None:
        within = replace(within, latest=next_ts, inclusive_latest=True)
    page = await history.channel_history(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        within=within,
        limit=call.args.limit(),
        is_bot=call.caller.kind == "bot",
    )
    metadata = call.args.flag("include_all_metadata")
    return ok(
        messages=[message_json(message, include_metadata=metadata) for message in page.messages],
        has_more=page.has_more,
        pin_count=page.pin_count,
        channel_actions_ts=None,
        channel_actions_count=0,
        response_metadata=next_cursor_metadata("next_ts", page.next_ts),
    )


@api_method("conversations.replies")
async def replies(call: Call) -> SlackResponse:
    within, next_ts = _range(call.args), _next_ts(call.args)
    if next_ts is not None:
        within = replace(within, oldest=next_ts, inclusive_oldest=True)
    page = await history.thread_replies(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        ts=call.args.ts("ts", error="thread_not_found"),
        within=within,
        limit=call.args.limit(),
        is_bot=call.caller.kind == "bot",
    )
    metadata = call.args.flag("include_all_metadata")
    root = _root_json(page.root, call.caller.user_id, metadata)
    shown = [_reply_json(reply, page.root, metadata) for reply in page.replies]
    return ok(
        messages=[root, *shown],
        has_more=page.has_more,
        response_metadata=next_cursor_metadata("next_ts", page.next_ts),
    )


def _root_json(root: Message, viewer: str, metadata: bool) -> dict[str, Any]:
    shown = message_json(root, include_metadata=metadata)
    body = {k: v for k, v in shown.items() if k in _ROOT_FIELDS}
    body.setdefault("thread_ts", root.ts)  # a message without replies roots an empty thread
    body.setdefault("reply_count", 0)
    body["subscribed"] = viewer == root.user_id or viewer in root.reply_users
    return body


def _reply_json(reply: Message, root: Message, metadata: bool) -> dict[str, Any]:
    shown = message_json(reply, include_metadata=metadata)
    body = {k: v for k, v in shown.items() if k in _REPLY_FIELDS}
    if root.user_id is not None:
        body.setdefault("parent_user_id", root.user_id)
    return body


@api_method("conversations.mark")
async def mark(call: Call) -> SlackResponse:
    await history.mark_read(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        channel_id=channel_arg(call.args),
        ts=call.args.ts("ts", error="invalid_timestamp"),
    )
    return ok()
