"""Slack-shaped JSON replies, serialised with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class SlackResponse(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(**fields: Any) -> SlackResponse:
    return SlackResponse({"ok": True, **fields})


def error(
    code: str, *, status: int = 200, headers: dict[str, str] | None = None, **fields: Any
) -> SlackResponse:
    return SlackResponse(
        {"ok": False, "error": code, **fields}, status_code=status, headers=headers
    )
