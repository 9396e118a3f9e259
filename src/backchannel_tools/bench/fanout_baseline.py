"""The baseline of `backchannel bench fanout`: a bare `websockets` server and its poster.

`python -m backchannel_tools.bench.fanout_baseline` serves two kinds of socket on one port: any
path is a client (it gets a hello, then every broadcast), and /control is the poster's: each
text it sends becomes one message event, in Slack's shape and of Backchannel's size,
broadcast to every client with `websockets.broadcast`, then answered "ok". It runs on
uvloop like `backchannel serve`, so the two differ only in what the servers do.
See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from backchannel.errors import BackchannelError
from backchannel_tools.bench.fanout_socket import message_text
from backchannel_tools.bench.harness import stop_process

CONTROL = "/control"
HELLO = json.dumps({"type": "hello"}, separators=(",", ":"))
# Ids of the length Backchannel's have, so both servers send frames of one size.
_TEAM, _CHANNEL, _USER = "T0000000001", "C0000000001", "U0000000001"


def _event(text: str) -> str:
    ts = f"{time.time():.6f}"
    event = {
        "type": "message",
        "ts": ts,
        "text": text,
        "team": _TEAM,
        "user": _USER,
        "channel": _CHANNEL,
        "event_ts": ts,
        "resume": "0a1b2c3d.1234",
    }
    return json.dumps(event, separators=(",", ":"))


async def _serve() -> None:
    clients: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path == CONTROL:
            async for text in connection:
                broadcast(clients, _event(str(text)))
                await connection.send("ok")
            return
        clients.add(connection)
        try:
            await connection.send(HELLO)
            await connection.wait_closed()
        finally:
            clients.discard(connection)

    # The benchmark stops it with SIGTERM, or by going away (its stdin closes); Ctrl-C
    # belongs to the benchmark, which stops everything in order.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def parent_gone() -> None:
        if not os.read(sys.stdin.fileno(), 1):
            stop.set()

    loop.add_reader(sys.stdin.fileno(), parent_gone)
    async with serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=None, backlog=2048
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"ws://127.0.0.1:{port}", flush=True)
        await stop.wait()


class BaselineServer:
    """The baseline in a subprocess of its own, as `backchannel serve` is."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backchannel_tools.bench.fanout_baseline"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("ws://"):
            stderr = self.process.stderr.read() if self.process.stderr else ""
            self.stop()
            raise BackchannelError(f"the baseline server did not start: {stderr.strip()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


class BaselinePoster:
    """Posts to the baseline over a few control sockets, one post at a time on each."""

    def __init__(self, url: str, sockets: int = 8) -> None:
        self.url = url + CONTROL
        self.size = sockets
        self.idle: asyncio.Queue[ClientConnection] = asyncio.Queue()
        self.all: list[ClientConnection] = []

    async def open(self) -> None:
        for _ in range(self.size):
            connection = await connect(self.url, compression=None, ping_interval=None)
            self.all.append(connection)
            self.idle.put_nowait(connection)

    async def post(self, number: int) -> bool:
        text = message_text(number)  # before waiting for a free socket: that wait counts too
        connection = await self.idle.get()
        try:
            await connection.send(text)
            return await connection.recv() == "ok"
        finally:
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self.all:
            await connection.close()


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve())


if __name__ == "__main__":
    main()
