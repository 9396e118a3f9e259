"""The client processes of `backchannel bench fanout`, and the parent's handle on them.

Each process opens its share of the sockets (fanout_socket.py), then follows the parent's
commands over a pipe: start a phase, drain it and report, stop. See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import uvloop

from backchannel.errors import BackchannelError
from backchannel_tools.bench.fanout_socket import RawSocket, Stats, open_socket

CONNECTS_AT_ONCE = 32  # per process: more only overflows the server's accept backlog
CONNECT_TRIES = 3


@dataclass(frozen=True)
class ClientSpec:
    """One process's sockets: ws:// URLs, or (with api_url) tokens to call rtm.connect with."""

    targets: list[str]
    sampled: frozenset[int]  # indices into targets whose latencies are recorded
    api_url: str | None = None


class _Connector:
    """Opens one process's sockets, a few at a time, retrying each a couple of times."""

    def __init__(self, spec: ClientSpec, stats: Stats) -> None:
        self.spec = spec
        self.stats = stats
        self.gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
        self.session: aiohttp.ClientSession | None = None  # for rtm.connect

    async def open_all(self) -> list[RawSocket]:
        if self.spec.api_url is not None:
            self.session = aiohttp.ClientSession()
        try:
            return list(
                await asyncio.gather(*(self._open(n) for n in range(len(self.spec.targets))))
            )
        finally:
            if self.session is not None:
                await self.session.close()

    async def _open(self, number: int) -> RawSocket:
        async with self.gate:
            for attempt in range(CONNECT_TRIES):
                try:
                    url = await self._url(self.spec.targets[number])
                    return await open_socket(url, self.stats, sampled=number in self.spec.sampled)
                except Exception as exc:  # refused, reset, timed out: try again, then give up
                    if attempt == CONNECT_TRIES - 1:
                        raise BackchannelError(f"a client could not connect: {exc}") from None
                    await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _url(self, target: str) -> str:
        if self.spec.api_url is None or self.session is None:
            return target
        async with self.session.post(
            f"{self.spec.api_url}/api/rtm.connect", headers={"Authorization": f"Bearer {target}"}
        ) as reply:
            answer = await reply.json()
        if not answer.get("ok"):
            raise BackchannelError(f"rtm.connect failed: {answer.get('error')}")
        return str(answer["url"])


class Inbox:
    """What arrives on a pipe, as awaitable tuples.

    A daemon thread does the blocking reads: watching the pipe from the loop would make it
    non-blocking, and a large reply would then fail half-written.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[Any, ...] | None] = asyncio.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                item: tuple[Any, ...] | None = tuple(self.conn.recv())
            except (EOFError, OSError):
                item = None
            try:
                self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
            except RuntimeError:  # the loop is gone
                return
            if item is None:
                return

    async def get(self) -> tuple[Any, ...]:
        item = await self.queue.get()
        if item is None:
            raise EOFError("the other end of the pipe is gone")
        return item


async def _drain(sockets: list[RawSocket], stats: Stats, expected: int, idle: float) -> None:
    """Until every open socket has had `expected` messages, or nothing came for `idle` s."""
    started = time.time()
    while True:
        open_sockets = sum(not s.closed for s in sockets)
        if stats.received >= expected * open_sockets:
            return
        if time.time() - max(stats.last, started) > idle:
            return
        await asyncio.sleep(0.05)


async def _serve_parent(conn: Connection, spec: ClientSpec) -> None:
    stats = Stats()
    sockets: list[RawSocket] = []
    inbox = Inbox(conn)
    try:
        try:
            sockets = await _Connector(spec, stats).open_all()
        except (BackchannelError, OSError, TimeoutError) as exc:
            conn.send(("error", str(exc)))
            return
        conn.send(("connected", len(sockets)))
        while True:
            command = await inbox.get()
            if command[0] == "phase":
                stats.reset()
                conn.send(("ready",))
            elif command[0] == "drain":
                await _drain(sockets, stats, command[1], command[2])
                open_sockets = sum(not s.closed for s in sockets)
                conn.send(("stats", stats.received, stats.last, stats.samples, open_sockets))
            else:
                return
    finally:
        for socket in sockets:
            socket.close()


def client_main(conn: Connection, spec: ClientSpec) -> None:
    """A client process: stopped by its parent (Ctrl-C is the parent's), or when it is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(EOFError, BrokenPipeError):
        uvloop.run(_serve_parent(conn, spec))


@dataclass(frozen=True)
class PhaseStats:
    received: int
    last: float
    samples: list[float]
    open_sockets: int


class Fleet:
    """The client processes (spawned: no state inherited from the parent), driven by pipe."""

    def __init__(self, specs: list[ClientSpec]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.inboxes: list[Inbox] = []
        self.processes: list[Any] = []
        for spec in specs:
            ours, theirs = context.Pipe()
            process = context.Process(target=client_main, args=(theirs, spec), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.inboxes.append(Inbox(ours))
            self.processes.append(process)

    async def connected(self, within: float) -> int:
        replies = await self._replies(None, within)
        return sum(int(reply[1]) for reply in replies)

    async def start_phase(self) -> None:
        await self._replies(("phase",), 30.0)

    async def drain(self, expected_per_socket: int, idle: float, within: float) -> PhaseStats:
        replies = await self._replies(("drain", expected_per_socket, idle), within)
        return PhaseStats(
            received=sum(int(r[1]) for r in replies),
            last=max(float(r[2]) for r in replies),
            samples=[sample for r in replies for sample in r[3]],
            open_sockets=sum(int(r[4]) for r in replies),
        )

    async def _replies(self, command: tuple[Any, ...] | None, within: float) -> list[Any]:
        if command is not None:
            for pipe in self.pipes:
                pipe.send(command)
        try:
            async with asyncio.timeout(within):
                replies = [await self._reply(inbox) for inbox in self.inboxes]
        except TimeoutError:
            raise BackchannelError(
                f"the client processes did not answer within {within:g}s"
            ) from None
        for reply in replies:
            if reply[0] == "error":
                raise BackchannelError(str(reply[1]))
        return replies

    @staticmethod
    async def _reply(inbox: Inbox) -> tuple[Any, ...]:
        try:
            return await inbox.get()
        except EOFError:
            raise BackchannelError("a client process died (see its output above)") from None

    def close(self) -> None:
        """Stop every client process: politely, then by force; safe to call twice."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError, ValueError):
                pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        for pipe in self.pipes:
            pipe.close()
        self.pipes, self.inboxes, self.processes = [], [], []
