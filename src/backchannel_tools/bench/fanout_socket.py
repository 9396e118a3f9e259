"""One benchmark client socket: a bare asyncio protocol that counts messages.

Clients share the machine's two cores with the server they measure, so a socket does the
handshake by hand, then counts frames in place without decoding them (the websockets
library would spend more per frame than the server does). Only sampled sockets read the
send time out of a message. See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

# Every benchmark message's text starts with this, then its number and its send time.
MARK = b"fanoutbench "
_HELLO = b'"type":"hello"'
_TEXT, _CLOSE, _PING = 0x1, 0x8, 0x9
_PONG_HEAD = 0x8A
CONNECT_TIMEOUT = 30.0


def message_text(number: int) -> str:
    """What a poster sends: the wall-clock send time rides in the message itself."""
    return f"{MARK.decode()}{number} {time.time():.6f}"


@dataclass
class Stats:
    """What one process's sockets received since the phase began."""

    received: int = 0
    last: float = 0.0  # wall-clock time of the last message, 0 when none came
    samples: list[float] = field(default_factory=list)  # seconds from send to receipt

    def reset(self) -> None:
        self.received, self.last, self.samples = 0, 0.0, []


class RawSocket(asyncio.Protocol):
    """A websocket client that counts benchmark messages and answers pings, nothing more."""

    def __init__(self, request: bytes, stats: Stats, *, sampled: bool) -> None:
        self.request = request
        self.stats = stats
        self.sampled = sampled
        self.buffer = bytearray()
        self.upgraded = False
        self.closed = False
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded and not self._upgrade():
            return
        self._frames()

    def _upgrade(self) -> bool:
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        status = bytes(buffer[: buffer.find(b"\r\n")]).decode(errors="replace")
        if not status.startswith("HTTP/1.1 101"):
            body = bytes(buffer[end + 4 : end + 200]).decode(errors="replace").strip()
            self._fail(f"handshake refused: {status} {body}".strip())
            return False
        del buffer[: end + 4]
        self.upgraded = True
        return True

    def _frames(self) -> None:
        buffer, size, position, count = self.buffer, len(self.buffer), 0, 0
        now = time.time()
        while size - position >= 2:
            opcode, length, start = (
                buffer[position] & 0x0F,
                buffer[position + 1] & 0x7F,
                position + 2,
            )
            if length == 126:
                if size - position < 4:
                    break
                length, start = (buffer[position + 2] << 8) | buffer[position + 3], position + 4
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                start = position + 10
            end = start + length
            if end > size:
                break
            if opcode == _TEXT:
                mark = buffer.find(MARK, start, end)
                if mark >= 0:
                    count += 1
                    if self.sampled:
                        self._sample(buffer, mark + len(MARK), now)
                elif not self.hello.done() and buffer.find(_HELLO, start, end) >= 0:
                    self.hello.set_result(None)
            elif opcode == _PING:
                self._pong(bytes(buffer[start:end]))
            elif opcode == _CLOSE:
                self._fail("the server closed the socket")
            position = end
        if position:
            del buffer[:position]
        if count:
            stats = self.stats
            stats.received += count
            stats.last = now

    def _sample(self, buffer: bytearray, at: int, now: float) -> None:
        # "<number> <send time>" follows the mark: only the time is needed.
        words = bytes(buffer[at : at + 48]).split(b'"', 1)[0].split()
        with contextlib.suppress(IndexError, ValueError):
            self.stats.samples.append(now - float(words[1]))

    def _pong(self, payload: bytes) -> None:
        # Clients mask what they send (RFC 6455); the edge pings every 20 s.
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        if self.transport is not None:
            self.transport.write(bytes((_PONG_HEAD, 0x80 | len(payload))) + mask + masked)

    def _fail(self, reason: str) -> None:
        self.closed = True
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def _request(url: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname is None:
        raise ConnectionError(f"expected a ws:// URL, got {url[:60]!r}")
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    return parts.hostname, port, head.encode()


async def open_socket(url: str, stats: Stats, *, sampled: bool) -> RawSocket:
    """A socket past the server's hello (no compression offered, so none is used)."""
    host, port, request = _request(url)
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: RawSocket(request, stats, sampled=sampled), host, port
    )
    try:
        await asyncio.wait_for(protocol.hello, CONNECT_TIMEOUT)
    except BaseException:
        protocol.close()
        raise
    return protocol
