"""The client of `backchannel bench boot`: rtm.start, the lean boot and the edge's queries,
as a client would call them, each timed (docs/benchmarks.md, docs/edge-cache.md)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from backchannel.errors import BackchannelError

# A cold lean boot of 32,000 people waits about 5 s for the edge to fill its cache.
REPLY_SECONDS = 120.0


@dataclass(frozen=True)
class FullBoot:
    seconds: float  # from sending rtm.start to its whole body read
    size: int  # the body's bytes


@dataclass
class LeanBoot:
    seconds: float  # rtm.connect, the socket, hello, client.boot and its whole reply
    frame_seconds: float  # client.boot sent to its reply read
    size: int  # the reply frame's bytes
    socket: LeanSocket  # still open, lean: for queries


class BootClient:
    """One person's boots against one server, over one HTTP session."""

    def __init__(self, session: aiohttp.ClientSession, api_url: str, token: str) -> None:
        self.session = session
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {token}"}

    async def _api(self, method: str) -> tuple[dict[str, Any], int]:
        url = f"{self.api_url}/api/{method}"
        async with self.session.post(url, headers=self.headers) as reply:
            body = await reply.read()
        answer: dict[str, Any] = orjson.loads(body)
        if answer.get("ok") is not True:
            raise BackchannelError(f"{method} failed: {answer.get('error')}")
        return answer, len(body)

    async def full_boot(self) -> FullBoot:
        started = time.perf_counter()
        _, size = await self._api("rtm.start")
        return FullBoot(time.perf_counter() - started, size)

    async def lean_boot(self) -> LeanBoot:
        """The lean flow; the caller closes the socket (LeanBoot.socket.close)."""
        started = time.perf_counter()
        connect, _ = await self._api("rtm.connect")
        ws = await self.session.ws_connect(connect["url"], compress=0, max_msg_size=0)
        socket = LeanSocket(ws)
        try:
            await socket.hello()
            asked = time.perf_counter()
            reply, size = await socket.ask("client.boot")
            done = time.perf_counter()
        except BaseException:
            await socket.close()
            raise
        if reply.get("lean") is not True:
            await socket.close()
            raise BackchannelError(f"client.boot answered without lean: {sorted(reply)}")
        return LeanBoot(done - started, done - asked, size, socket)


class LeanSocket:
    """An RTM socket: request frames with an id, each answered by a reply_to."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.sent = 0  # request frames sent (the edge allows a burst of 50)

    async def _next(self, waiting_for: str) -> tuple[dict[str, Any], int]:
        try:
            message = await self.ws.receive(timeout=REPLY_SECONDS)
        except TimeoutError:
            raise BackchannelError(f"no {waiting_for} within {REPLY_SECONDS:g} s") from None
        if message.type != aiohttp.WSMsgType.TEXT:
            raise BackchannelError(f"the socket ended while waiting for {waiting_for}")
        raw: str = message.data
        frame: dict[str, Any] = orjson.loads(raw)
        return frame, len(raw.encode())

    async def hello(self) -> None:
        while (await self._next("hello"))[0].get("type") != "hello":
            pass

    async def ask(self, kind: str, **fields: Any) -> tuple[dict[str, Any], int]:
        """Send a request frame; its reply (other frames on the way are skipped) and the
        reply's bytes. A refusal ({"ok": false} or an error event) is a BackchannelError."""
        request_id = next(self.ids)
        frame = {"type": kind, "id": request_id, **fields}
        await self.ws.send_str(orjson.dumps(frame).decode())  # the edge takes text frames
        self.sent += 1
        while True:
            reply, size = await self._next(kind)
            if reply.get("reply_to") != request_id:
                continue
            if reply.get("ok") is not True:
                raise BackchannelError(f"{kind} failed: {reply.get('error')}")
            return reply, size

    async def close(self) -> None:
        await self.ws.close()
