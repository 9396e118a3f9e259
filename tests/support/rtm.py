"""RTM clients for tests: a real websocket to a real edge, and what arrived on it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backchannel.app import Backchannel
from backchannel.edge import Edge
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.realtime.tickets import issue_ticket

WAIT = 10.0


def listening() -> tuple[socket.socket, str]:
    """A socket listening on a free port, and the ws:// URL an edge on it has."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.setblocking(False)
    return sock, f"ws://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving_edge(
    backchannel: Backchannel, on: tuple[socket.socket, str] | None = None
) -> AsyncIterator[tuple[Edge, str]]:
    """An edge on a free port (or `on`, from listening()), registered (serving every
    message-server shard unless the settings say otherwise) and heartbeating; yields it and
    its ws:// URL. The socket is closed afterwards."""
    sock, url = on or listening()
    try:
        async with backchannel.running_edge(sock, url) as (edge, _):
            yield edge, url
    finally:
        sock.close()


@asynccontextmanager
async def live_edge(backchannel: Backchannel) -> AsyncIterator[str]:
    """serving_edge's URL alone."""
    async with serving_edge(backchannel) as (_, url):
        yield url


@dataclass
class RtmSocket:
    connection: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    asked: int = 0  # the id of the last request frame sent

    async def next(self, kind: str | None = None, *, within: float = WAIT) -> dict[str, Any]:
        """The next event (of `kind`, skipping others), as it arrives."""
        async with asyncio.timeout(within):
            while True:
                event = orjson.loads(await self.connection.recv())
                self.received.append(event)
                if kind is None or event.get("type") == kind:
                    return dict(event)

    async def messages(self, count: int, *, within: float = WAIT) -> list[dict[str, Any]]:
        return [await self.next("message", within=within) for _ in range(count)]

    async def before(self, *, within: float = WAIT, **sentinel: Any) -> list[dict[str, Any]]:
        """The events that arrive before the sentinel: the first event with these fields
        (read as well, and kept in `received`).

        This is how a test shows that something did not arrive: it causes a later event
        that must (a message posted after it, to a channel this socket is in, on the same
        log; or the pong of before_pong) and looks at what came first. One socket gets one
        log's events in the log's order, so anything wrongly sent would be among them."""
        got: list[dict[str, Any]] = []
        async with asyncio.timeout(within):
            while True:
                event = orjson.loads(await self.connection.recv())
                self.received.append(event)
                if all(event.get(key) == value for key, value in sentinel.items()):
                    return got
                got.append(event)

    async def before_pong(self) -> list[dict[str, Any]]:
        """The events that arrive before the pong to a ping sent now: whatever the edge had
        written to this socket before it read the ping. The edge reads a socket's frames
        only once its catch-up is written, and writes an event to all of its sockets in one
        go, so after another socket has got an event this one shows whether it got it too."""
        self.asked += 1
        await self.send({"type": "ping", "id": self.asked})
        return await self.before(type="pong", reply_to=self.asked)

    async def send(self, body: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(body).decode())

    async def ask(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a request frame (docs/edge-cache.md) and return its reply; the events that
        come before it are kept in `received`."""
        self.asked += 1
        await self.send({"type": kind, "id": self.asked, **fields})
        while True:
            reply = await self.next()
            if reply.get("reply_to") == self.asked and "type" not in reply:
                return reply

    async def close(self) -> None:
        await self.connection.close()

    @property
    def closed(self) -> bool:
        return self.connection.close_code is not None

    async def wait_closed(self) -> tuple[int | None, str | None]:
        try:
            async with asyncio.timeout(WAIT):
                while True:
                    self.received.append(orjson.loads(await self.connection.recv()))
        except ConnectionClosed:
            pass
        return self.connection.close_code, self.connection.close_reason


async def authenticated(ctx: ServiceContext, who: TokenInfo) -> TokenInfo:
    """`who` as a call with a token of theirs would be: with a token of its own, made now
    if `who` names none (a ticket is bound to the token it was asked for with)."""
    if who.token_hash is not None:
        return who
    return await auth.authenticate(ctx, await auth.issue_token(ctx, who))


async def ticket_for(ctx: ServiceContext, who: TokenInfo) -> str:
    return await issue_ticket(ctx, await authenticated(ctx, who))


async def ticket_url(ctx: ServiceContext, edge_url: str, who: TokenInfo, **query: str) -> str:
    ticket = await ticket_for(ctx, who)
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"{edge_url}/?ticket={ticket}{extra}"


async def open_rtm(
    ctx: ServiceContext, edge_url: str, who: TokenInfo, *, resume: str | None = None
) -> RtmSocket:
    """A connected socket whose hello has arrived (it is in `received`)."""
    query = {"resume": resume} if resume else {}
    connection = await connect(await ticket_url(ctx, edge_url, who, **query), max_size=None)
    rtm = RtmSocket(connection)
    hello = await rtm.next()
    assert hello["type"] == "hello", hello
    return rtm
