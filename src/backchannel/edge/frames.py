"""RFC 6455 text frames, built once and written to every socket as they are.

A server's frames are not masked, and without compression a frame does not depend on the
connection it goes to: one event is framed once for its thousands of recipients. What the
sockets log of the frames they carry is in FrameLog.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable
from typing import Any

import orjson
from websockets.frames import Frame

from backchannel.logs import REDACTED
from backchannel.models import Event, Position

_TEXT_FIN = 0x81


def text_frame(payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((_TEXT_FIN, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT_FIN, 126, size) + payload
    return struct.pack("!BBQ", _TEXT_FIN, 127, size) + payload


def event_frame(event: Event) -> bytes:
    """What clients receive for an event: its payload, with the resume token of a durable one."""
    body: dict[str, Any] = event.payload
    if event.position is not None:
        body = {**body, "resume": resume_token(event.position)}
    return text_frame(orjson.dumps(body))


def json_frame(body: dict[str, Any]) -> bytes:
    return text_frame(orjson.dumps(body))


def resume_token(position: Position) -> str:
    """`<epoch>.<seq>`: enough to resume from, as the stream follows from the workspace."""
    return f"{position.epoch}.{position.seq}"


def parse_resume_token(token: str) -> tuple[str, int]:
    """(epoch, seq); ValueError with what was expected if `token` is not one."""
    epoch, dot, seq = token.partition(".")
    if not dot or not epoch.isalnum() or len(epoch) > 16 or not seq.isdigit() or len(seq) > 19:
        raise ValueError(f"a resume token looks like 'a1b2c3d4.1234', got {token[:40]!r}")
    return epoch, int(seq)


class FrameLog(logging.LoggerAdapter[logging.Logger]):
    """websockets' log of the edge's connections. At debug level it has every frame and
    handshake header a client sends: here a frame is its type and size, never its text (what
    people say), and a cookie or credential header is not shown (docs/configuration.md, Logs).
    """

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        super().log(level, msg, *_shown(args), **kwargs)


_SECRET_HEADERS = frozenset({"authorization", "cookie"})


def _shown(args: Iterable[object]) -> tuple[object, ...]:
    shown = tuple(
        f"{arg.opcode.name} [{len(arg.data)} bytes]" if isinstance(arg, Frame) else arg
        for arg in args
    )
    if len(shown) == 2 and str(shown[0]).lower() in _SECRET_HEADERS:  # "< %s: %s", a header
        return shown[0], REDACTED
    return shown
