"""Slack-shaped JSON replies, serialised with orjson."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import orjson
from starlette.responses import Response

from backchannel.errors import (
    AuthError,
    BackchannelError,
    InvalidArgument,
    InvalidContent,
    StorageUnavailable,
)

log = logging.getLogger(__name__)


class SlackResponse(Response):
    media_type = "application/json; charset=utf-8"
    # The Slack error string of an error reply, None for an ok one: what the metrics and
    # the log of API calls record, without parsing the body again.
    slack_error: str | None = None

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class RequestTooLarge(InvalidArgument):
    """A body over the limit (webapp/params.py): answered 413, and the connection closed,
    so the rest of the body is not read just to be thrown away."""

    slack_error = "request_too_large"
    status = 413
    headers = {"Connection": "close"}


def ok(**fields: Any) -> SlackResponse:
    return SlackResponse({"ok": True, **fields})


def error(
    code: str, *, status: int = 200, headers: dict[str, str] | None = None, **fields: Any
) -> SlackResponse:
    reply = SlackResponse(
        {"ok": False, "error": code, **fields}, status_code=status, headers=headers
    )
    reply.slack_error = code
    return reply


async def answering_errors(name: str, work: Awaitable[SlackResponse]) -> SlackResponse:
    """`work`'s reply, or the Slack-shaped reply to the error it raised."""
    try:
        return await work
    except AuthError as exc:
        return error(exc.slack_error)
    except RequestTooLarge as exc:
        return error(
            exc.slack_error,
            status=exc.status,
            headers=exc.headers,
            response_metadata={"messages": [f"[ERROR] {exc.message}"]},
        )
    except StorageUnavailable as exc:
        log.warning("%s failed: %s", name, exc.message)
        return error("service_unavailable", status=503, headers={"Retry-After": "1"})
    except InvalidContent as exc:
        lines = list(exc.problems)
        metadata = {"messages": [f"[ERROR] {line}" for line in lines]}
        return error(exc.slack_error, errors=lines, response_metadata=metadata)
    except BackchannelError as exc:
        # Slack's way to say more than the error string (e.g. which argument was wrong).
        return error(exc.slack_error, response_metadata={"messages": [f"[ERROR] {exc.message}"]})
    except Exception:
        # Parameters are not logged: they may hold tokens, passwords or message text.
        log.exception("%s failed unexpectedly", name)
        return error("internal_error", status=500)
