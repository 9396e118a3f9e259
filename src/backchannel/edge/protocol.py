"""What a client may send on its socket: Slack's RTM (ping, typing, message, presence_sub,
presence_query) and the edge cache's lean boot and queries (lean.py). Anything else gets an
error event; nothing a client sends can break the edge.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from backchannel.edge import lean
from backchannel.edge.frames import json_frame
from backchannel.edge.peer import Handler, Peer
from backchannel.errors import BackchannelError, InvalidArgument
from backchannel.models.events import to_channel
from backchannel.services.messaging import messages
from backchannel.services.realtime import events as event_service

log = logging.getLogger(__name__)

# Slack's RTM error codes, as far as they were documented.
BAD_MESSAGE, UNSUPPORTED, RATE_LIMITED = 1, 3, 4
MAX_IDS = 500  # users one presence_sub or presence_query may name


def error_event(code: int, message: str, reply_to: Any = None) -> bytes:
    body: dict[str, Any] = {"type": "error", "error": {"code": code, "msg": message}}
    if reply_to is not None:
        body["reply_to"] = reply_to
    return json_frame(body)


# What a frame is called in the metrics when it is no known request (a client's made-up
# type never becomes a label) or was refused unread (a flood), and the outcome of one that
# worked.
INVALID, UNKNOWN, UNREAD, OK = "invalid", "unknown", "unread", "ok"


async def handle_frame(peer: Peer, raw: str | bytes) -> tuple[str, str]:
    """Answer one frame; what it was (a known type, UNKNOWN or INVALID) and how it went
    (OK or a Slack error string), for the metrics."""
    session = peer.session
    if isinstance(raw, bytes):
        session.write(error_event(BAD_MESSAGE, "send text frames of JSON, not binary"))
        return INVALID, "bad_message"
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        session.write(error_event(BAD_MESSAGE, "not JSON"))
        return INVALID, "bad_message"
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        session.write(error_event(BAD_MESSAGE, 'expected a JSON object with a "type"'))
        return INVALID, "bad_message"
    kind, reply_to = frame["type"], frame.get("id")
    handler = _HANDLERS.get(kind)
    if handler is None:
        session.write(error_event(UNSUPPORTED, f"unsupported type {kind[:40]!r}", reply_to))
        return UNKNOWN, "unsupported"
    try:
        await handler(peer, frame)
    except BackchannelError as exc:
        session.write(_failed(reply_to, exc.slack_error, str(exc)))
        return kind, exc.slack_error
    except Exception:
        log.exception("%s frame from %s failed", kind, session.user_id)
        session.write(error_event(1, "internal_error", reply_to))
        return kind, "internal_error"
    return kind, OK


def rate_limited(raw: str | bytes) -> bytes:
    """The answer to a frame over the client's allowance: to the request it was, if it had
    an id, so that a client waiting for the reply is not left waiting."""
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        frame = None
    reply_to = frame.get("id") if isinstance(frame, dict) else None
    if reply_to is None:
        return error_event(RATE_LIMITED, "too many frames: slow down")
    return json_frame(
        {"ok": False, "reply_to": reply_to, "error": {"code": RATE_LIMITED, "msg": "ratelimited"}}
    )


def _failed(reply_to: Any, slack_error: str, message: str) -> bytes:
    if reply_to is None:
        return error_event(BAD_MESSAGE, f"{slack_error}: {message}")
    return json_frame({"ok": False, "reply_to": reply_to, "error": {"code": 2, "msg": slack_error}})


async def _ping(peer: Peer, frame: dict[str, Any]) -> None:
    # Slack echoes whatever else the ping carried (clients put a time in it).
    reply = {key: value for key, value in frame.items() if key not in ("type", "id")}
    peer.session.write(json_frame({**reply, "type": "pong", "reply_to": frame.get("id")}))


async def _typing(peer: Peer, frame: dict[str, Any]) -> None:
    session = peer.session
    channel_id = frame.get("channel")
    if not isinstance(channel_id, str) or channel_id not in session.channels:
        raise InvalidArgument(
            f"not a channel you are in: {str(channel_id)[:40]!r}", slack_error="channel_not_found"
        )
    payload = {"type": "user_typing", "channel": channel_id, "user": session.user_id}
    await event_service.publish_live(
        peer.ctx, to_channel(session.workspace_id, channel_id, payload, skip_user=session.user_id)
    )


async def _message(peer: Peer, frame: dict[str, Any]) -> None:
    session = peer.session
    channel_id, text = frame.get("channel"), frame.get("text")
    thread_ts = frame.get("thread_ts")
    if not isinstance(channel_id, str):
        raise InvalidArgument("a message needs a channel", slack_error="channel_not_found")
    if not isinstance(text, str):
        raise InvalidArgument("a message needs text", slack_error="no_text")
    if thread_ts is not None and not isinstance(thread_ts, str):
        raise InvalidArgument("thread_ts must be a string", slack_error="invalid_thread_ts")
    message = await messages.post_message(
        peer.ctx,
        workspace_id=session.workspace_id,
        user_id=session.user_id,
        channel_id=channel_id,
        text=text,
        thread_ts=thread_ts,
        by_bot=session.kind == "bot",
    )
    reply = {"ok": True, "reply_to": frame.get("id"), "ts": message.ts, "text": message.text}
    session.write(json_frame(reply))


def _user_ids(frame: dict[str, Any]) -> list[str]:
    ids = frame.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_IDS:
        raise InvalidArgument(
            f'"ids" must be a list of at most {MAX_IDS} user ids', slack_error="invalid_ids"
        )
    return ids


async def _presence_sub(peer: Peer, frame: dict[str, Any]) -> None:
    peer.room.subscribe_presence(peer.session, _user_ids(frame))
    await _presence_query(peer, frame)


async def _presence_query(peer: Peer, frame: dict[str, Any]) -> None:
    for user_id in _user_ids(frame):
        presence = peer.room.presence_of(user_id)
        peer.session.write(
            json_frame({"type": "presence_change", "user": user_id, "presence": presence})
        )


_HANDLERS: dict[str, Handler] = {
    **lean.HANDLERS,
    "ping": _ping,
    "typing": _typing,
    "message": _message,
    "presence_sub": _presence_sub,
    "presence_query": _presence_query,
}
