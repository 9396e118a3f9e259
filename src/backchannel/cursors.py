"""Slack's opaque pagination cursors: base64 of "<kind>:<position>"."""

from __future__ import annotations

import base64
import binascii

from backchannel.errors import InvalidArgument


def encode_cursor(kind: str, position: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    """The position a cursor holds; None for no cursor; invalid_cursor for a foreign one."""
    if not cursor:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(
            "the cursor is not one this server gave out", slack_error="invalid_cursor"
        ) from None
    found_kind, _, position = decoded.partition(":")
    if found_kind != kind or not position:
        raise InvalidArgument("the cursor belongs to another method", slack_error="invalid_cursor")
    return position


def next_cursor_metadata(kind: str, position: str | None) -> dict[str, str]:
    """Slack's response_metadata: an empty next_cursor means the last page."""
    return {"next_cursor": encode_cursor(kind, position) if position is not None else ""}
