"""search.messages: full-text search over what the caller may read, paged as Slack pages it.

Two ways to page, as in Slack: `count` and `page` (1-based, at most 100 pages), or
"cursormark" paging: `cursor=*` first, then each reply's response_metadata.next_cursor.
"""

from __future__ import annotations

import uuid
from typing import Any

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.errors import BackchannelError, InvalidArgument
from backchannel.services.messaging import search
from backchannel.webapp.args import Args
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import conversation_json, permalink

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_PAGE = 100
_CURSOR = "search"
_FIRST_CURSOR = "*"
_SORTS = {"score": True, "timestamp": False}  # sort -> ranked by score
_DIRECTIONS = {"desc": False, "asc": True}  # sort_dir -> ascending
_MATCH_CHANNEL_KEYS = (
    "id",
    "is_private",
    "is_mpim",
    "is_shared",
    "is_ext_shared",
    "is_org_shared",
    "is_pending_ext_shared",
)


@api_method("search.messages")
async def search_messages(call: Call) -> SlackResponse:
    if call.caller.kind == "bot":
        # As in Slack: search acts for a person (search:read is a user scope).
        raise BackchannelError(
            "search.messages needs a user token, not a bot token",
            slack_error="not_allowed_token_type",
        )
    args = call.args
    query = (args.optional_string("query") or "").strip()
    if not query:
        raise InvalidArgument("missing required field: query", slack_error="no_query")
    count = _count(args)
    cursor = args.optional_string("cursor")
    page, offset = _position(args, cursor, count)
    results = await search.search_messages(
        call.ctx,
        call.caller,
        query,
        by_score=_choice(args, "sort", _SORTS, "score"),
        ascending=_choice(args, "sort_dir", _DIRECTIONS, "desc"),
        offset=offset,
        limit=count,
        highlight=args.flag("highlight"),
    )
    fields: dict[str, Any] = {
        "query": query,
        "messages": {
            "total": results.total,
            "matches": [_match_json(match, call) for match in results.matches],
            "paging": _paging(results.total, count, page),
            "pagination": _pagination(results.total, count, page, offset),
        },
    }
    if cursor:
        following = offset + count
        position = str(following) if following < results.total else None
        fields["response_metadata"] = next_cursor_metadata(_CURSOR, position)
    return ok(**fields)


def _count(args: Args) -> int:
    """Slack's `count`: 20 by default; above 100 is clamped, as Slack does."""
    count = args.number("count", DEFAULT_COUNT, minimum=0)
    return DEFAULT_COUNT if count == 0 else min(count, MAX_COUNT)


def _position(args: Args, cursor: str | None, count: int) -> tuple[int, int]:
    """(page, offset): from the cursor when one is given, else from `page`."""
    if cursor:
        if cursor == _FIRST_CURSOR:
            return 1, 0
        position = decode_cursor(_CURSOR, cursor) or ""
        if not position.isdigit() or int(position) >= MAX_PAGE * MAX_COUNT:
            raise InvalidArgument(
                "the cursor is not one this server gave out", slack_error="invalid_cursor"
            )
        offset = int(position)
        return offset // count + 1, offset
    page = args.number("page", 1, minimum=1, maximum=MAX_PAGE)
    return page, (page - 1) * count


def _choice(args: Args, name: str, choices: dict[str, bool], default: str) -> bool:
    value = (args.optional_string(name) or default).strip().lower()
    if value not in choices:
        raise InvalidArgument(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return choices[value]


def _paging(total: int, count: int, page: int) -> dict[str, int]:
    return {"count": count, "total": total, "page": page, "pages": -(-total // count)}


def _pagination(total: int, count: int, page: int, offset: int) -> dict[str, int]:
    return {
        "total_count": total,
        "page": page,
        "per_page": count,
        "page_count": -(-total // count),
        "first": offset + 1 if total else 0,
        "last": min(offset + count, total),
    }


def _match_json(match: search.Match, call: Call) -> dict[str, Any]:
    message, channel = match.message, match.channel
    conversation = conversation_json(channel, viewer=call.caller.user_id, members=match.members)
    summary = {key: conversation.get(key, False) for key in _MATCH_CHANNEL_KEYS}
    # Slack names a DM's channel after the other person's id.
    summary["name"] = conversation["user"] if channel.is_im else conversation["name"]
    summary["pending_shared"] = []
    payload: dict[str, Any] = {
        "type": "im" if channel.is_im else "message",
        "iid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel.id}/{message.ts}")),
        "ts": message.ts,
        "text": match.highlighted if match.highlighted is not None else message.text,
        "user": message.user_id or "",
        "username": message.username or match.username,
        "team": message.user_team or message.workspace_id,
        "channel": summary,
        "permalink": permalink(call.base_url, message),
    }
    for key, value in (
        ("bot_id", message.bot_id),
        ("subtype", message.subtype),
        ("thread_ts", message.thread_ts),
        ("blocks", message.blocks),
        ("attachments", message.attachments),
    ):
        if value is not None:
            payload[key] = value
    return payload
