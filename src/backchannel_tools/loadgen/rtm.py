"""A connected person's RTM socket: opened through rtm.connect (resuming after a reconnect,
as Slack's clients do), read until it closes, each message event timed against its send.

See docs/loadgen.md and docs/realtime.md for the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import quote

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from backchannel_tools.loadgen.mix import SOCKET, TYPING
from backchannel_tools.loadgen.recorder import Recorder
from backchannel_tools.loadgen.target import socket_host_allowed
from backchannel_tools.loadgen.traffic import Traffic
from backchannel_tools.loadgen.webapi import WebApi

OPEN_TIMEOUT = 10.0  # rtm.connect, the handshake and the hello, each
CLOSE_TIMEOUT = 1.0


class RtmSocket:
    """One person's socket. `open` names the kind of failure instead of raising."""

    def __init__(self, token: str, api: WebApi, recorder: Recorder, traffic: Traffic) -> None:
        self.token = token
        self.api = api
        self.recorder = recorder
        self.traffic = traffic
        self.resume: str | None = None  # the last resume token received
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def is_open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def open(self) -> str | None:
        """rtm.connect, the socket and its hello; None, or the kind of error."""
        started = time.perf_counter()
        answer = await self.api.call("rtm.connect", self.token)
        if answer.error is not None:
            return answer.error
        url = str(answer.body.get("url", ""))
        if not socket_host_allowed(url):
            return "edge_not_loopback"
        if self.resume is not None:
            url += f"&resume={quote(self.resume, safe='')}"
        remaining = max(0.1, OPEN_TIMEOUT - (time.perf_counter() - started))
        try:
            connection, hello = await _connect(url, remaining)
        except InvalidStatus as exc:
            return f"ws_{exc.response.status_code}"
        except (InvalidHandshake, InvalidURI, ValueError):  # ValueError: a hello not JSON
            return "ws_handshake"
        except ConnectionClosed:
            return "socket_closed"
        except TimeoutError:
            return "timeout"
        except OSError:
            return "connection"
        self._start(connection, hello)
        return None

    def _start(self, connection: ClientConnection, hello: dict[str, object]) -> None:
        resume = hello.get("resume")
        if isinstance(resume, str):
            self.resume = resume
        self._connection = connection
        self._closing = False
        self._reader = asyncio.create_task(self._read(connection), name="loadgen-socket")

    async def _read(self, connection: ClientConnection) -> None:
        self.recorder.socket_opened()  # here, so that it pairs with the close below
        try:
            async for raw in connection:
                self._on_frame(raw)
        except ConnectionClosed:
            pass
        finally:
            self.recorder.socket_closed()
            if not self._closing:
                self.recorder.error(SOCKET, f"closed_{connection.close_code or 1006}")

    def _on_frame(self, raw: str | bytes) -> None:
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.recorder.error(SOCKET, "bad_frame")
            return
        if not isinstance(event, dict):
            return
        self.recorder.event()
        resume = event.get("resume")
        if isinstance(resume, str):
            self.resume = resume
        kind = event.get("type")
        if kind == "message":
            self._on_message(event)
        elif kind == "error":  # typing is the only frame sent, so it is typing's error
            error = event.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            self.recorder.error(TYPING, f"rtm_error_{code}")

    def _on_message(self, event: dict[str, object]) -> None:
        client_msg_id = event.get("client_msg_id")
        sent = self.traffic.sent_at(client_msg_id) if isinstance(client_msg_id, str) else None
        if sent is not None:
            self.recorder.delivered(time.perf_counter() - sent)
        channel, ts = event.get("channel"), event.get("ts")
        top_level = "thread_ts" not in event and "subtype" not in event
        if isinstance(channel, str) and isinstance(ts, str) and top_level:
            self.traffic.seen(channel, ts)

    async def typing(self, channel_id: str) -> str | None:
        """A typing frame; None, or the kind of error."""
        if self._connection is None or not self.is_open:
            return "socket_closed"
        body = orjson.dumps({"type": "typing", "channel": channel_id}).decode()
        try:
            async with asyncio.timeout(OPEN_TIMEOUT):
                await self._connection.send(body)
        except ConnectionClosed:
            return "socket_closed"
        except TimeoutError:
            return "timeout"
        return None

    async def close(self) -> None:
        """Close it from this side (not counted as an error); bounded, safe to call twice."""
        self._closing = True
        if self._connection is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT * 2):
                    await self._connection.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._connection = None
        self._reader = None


async def _connect(url: str, within: float) -> tuple[ClientConnection, dict[str, object]]:
    """The socket, once past the server's hello; and the hello."""
    async with asyncio.timeout(within):
        connection = await connect(
            url,
            compression=None,
            proxy=None,
            ping_interval=None,  # the server pings; the library answers
            close_timeout=CLOSE_TIMEOUT,
            open_timeout=None,  # bounded by the timeout around it
        )
        try:
            hello = orjson.loads(await connection.recv())
            if not isinstance(hello, dict) or hello.get("type") != "hello":
                raise InvalidHandshake("the first frame was not a hello")
        except BaseException:
            await connection.close()
            raise
    return connection, hello
