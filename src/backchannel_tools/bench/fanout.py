"""`backchannel bench fanout`: one channel's messages to N sockets, against a bare baseline.

Both servers (fanout_subjects.py) are up at once, each with its own N idle sockets held by
client processes (fanout_clients.py): resident memory per socket is read as they connect.
Then throughput rounds, the servers taking turns (a few posters as fast as the server takes
posts; deliveries/s until the last message lands), so that a burst of other work on the
machine does not favour one of them; each keeps its best round. Last, a latency phase per
server (posts at a fixed rate; send-to-receipt times on a spread of sampled sockets).
See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped]

from backchannel.errors import BackchannelError
from backchannel_tools.bench.fanout_clients import ClientSpec, Fleet, PhaseStats
from backchannel_tools.bench.fanout_subjects import SUBJECTS, Poster, Progress, Subject
from backchannel_tools.bench.harness import Result

SERVERS = tuple(SUBJECTS)
POSTERS = 4  # concurrent posters in the throughput rounds, as in a busy channel
SAMPLED_SOCKETS = 64  # sockets that time every message, spread over the connection order
WARM_SOCKETS = 50  # connected and closed before the memory is first read
SETTLE_SECONDS = 1.0  # after connecting, before the memory is read
IDLE_DRAIN_SECONDS = 5.0  # a phase ends early when nothing arrives for this long (a loss)


@dataclass(frozen=True)
class FanoutOptions:
    clients: int
    duration: float
    rate: float
    processes: int
    rounds: int


@dataclass(frozen=True)
class Round:
    """One throughput round: posts taken, messages delivered, over the round's time."""

    posts: int
    received: int
    elapsed: float  # from the first post to the last delivery
    cpu: float  # seconds of CPU the server spent meanwhile

    @property
    def deliveries_per_s(self) -> float:
        return self.received / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class Trial:
    """One server's connected clients and what was measured on them so far."""

    subject: Subject
    fleet: Fleet
    connected: int
    bytes_per_socket: float
    rounds: list[Round] = field(default_factory=list)
    latency: Result | None = None
    missed: int = 0  # deliveries short of posts x sockets, all phases
    closed: int = 0  # sockets the server closed

    @property
    def best(self) -> Round:
        return max(self.rounds, key=lambda r: r.deliveries_per_s)

    @property
    def deliveries_per_s(self) -> float:
        return self.best.deliveries_per_s

    def as_row(self) -> dict[str, Any]:
        best, latency = self.best, self.latency
        assert latency is not None
        return {
            "server": self.subject.name,
            "clients": self.connected,
            "posts_per_s": round(best.posts / best.elapsed, 1) if best.elapsed > 0 else 0.0,
            "deliveries_per_s": round(best.deliveries_per_s),
            "server_cpu_pct": round(100 * best.cpu / best.elapsed) if best.elapsed > 0 else 0,
            "p50_ms": round(latency.percentile(0.50), 2),
            "p99_ms": round(latency.percentile(0.99), 2),
            "kib_per_socket": round(self.bytes_per_socket / 1024, 1),
            "missed": self.missed,
        }


def default_processes(clients: int) -> int:
    """One client process per 1,000 sockets, at most 4 (the clients share 2 cores)."""
    return max(1, min(4, math.ceil(clients / 1000)))


async def run(options: FanoutOptions, servers: tuple[str, ...], progress: Progress) -> list[Trial]:
    """Ctrl-C stops everything started, then ends as KeyboardInterrupt whatever failed
    meanwhile (`backchannel serve` sees the Ctrl-C too and hangs up on its clients)."""
    interrupted = False
    main = asyncio.current_task()
    assert main is not None

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        main.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        return await _run(options, servers, progress)
    except BaseException:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _run(options: FanoutOptions, servers: tuple[str, ...], progress: Progress) -> list[Trial]:
    async with contextlib.AsyncExitStack() as stack:
        trials = []
        for name in servers:
            subject = await stack.enter_async_context(SUBJECTS[name](options.clients, progress))
            trials.append(await stack.enter_async_context(_connect(subject, options, progress)))
        for number in range(1, options.rounds + 1):
            for trial in trials:
                await _throughput(trial, options, progress, number)
        for trial in trials:
            await _latency(trial, options, progress)
            if trial.closed:
                progress(f"{trial.subject.name}: the server closed {trial.closed} slow socket(s)")
        return trials


@contextlib.asynccontextmanager
async def _connect(
    subject: Subject, options: FanoutOptions, progress: Progress
) -> AsyncIterator[Trial]:
    """The subject's N sockets, connected and idle; its memory read before and after."""
    if subject.warm_up is not None:
        await subject.warm_up()
    await _warm_sockets(subject)
    before = _rss(subject.pid)
    clients = len(subject.targets)
    progress(f"{subject.name}: connecting {clients} sockets from {options.processes} process(es)")
    fleet = Fleet(_split(subject.targets, options.processes, subject.api_url))
    try:
        connected = await fleet.connected(within=60 + clients / 20)
        await asyncio.sleep(SETTLE_SECONDS)
        yield Trial(subject, fleet, connected, (_rss(subject.pid) - before) / max(1, connected))
    finally:
        fleet.close()


async def _warm_sockets(subject: Subject) -> None:
    """Open and close a few sockets first, so the memory read before is of a warm server
    (only a few: sockets that come and go leave memory behind for the next ones to reuse)."""
    fleet = Fleet([ClientSpec(subject.targets[:WARM_SOCKETS], frozenset(), subject.api_url)])
    try:
        await fleet.connected(within=60)
    finally:
        fleet.close()
    await asyncio.sleep(SETTLE_SECONDS)  # the server notices the closes


def _split(targets: list[str], processes: int, api_url: str | None) -> list[ClientSpec]:
    """Deal sockets to processes in turn; sample every k-th socket of the whole order."""
    stride = max(1, len(targets) // SAMPLED_SOCKETS)
    specs = []
    for process in range(processes):
        mine = range(process, len(targets), processes)
        sampled = frozenset(n for n, index in enumerate(mine) if index % stride == 0)
        specs.append(ClientSpec([targets[index] for index in mine], sampled, api_url))
    return specs


async def _throughput(
    trial: Trial, options: FanoutOptions, progress: Progress, number: int
) -> None:
    name, pid = trial.subject.name, trial.subject.pid
    progress(f"{name}: round {number}, posting as fast as it takes posts for {options.duration:g}s")
    await trial.fleet.start_phase()
    started, cpu_before = time.time(), _cpu_seconds(pid)
    posts = await _flood(trial.subject.poster, options.duration)
    stats = await _drain(trial, posts, options)
    elapsed = stats.last - started if stats.received else 0.0
    trial.rounds.append(Round(posts, stats.received, elapsed, _cpu_seconds(pid) - cpu_before))
    progress(f"{name}: round {number}: {trial.rounds[-1].deliveries_per_s:,.0f} deliveries/s")


async def _latency(trial: Trial, options: FanoutOptions, progress: Progress) -> None:
    name = trial.subject.name
    progress(f"{name}: posting {options.rate:g} messages/s for {options.duration:g}s")
    await trial.fleet.start_phase()
    started = time.time()
    posts = await _paced(trial.subject.poster, options.rate, options.duration)
    stats = await _drain(trial, posts, options)
    trial.latency = Result(name, trial.connected, stats.samples, stats.last - started, 0)


async def _flood(poster: Poster, duration: float) -> int:
    """A few posters, each posting again as soon as the last post was taken."""
    numbers = itertools.count()
    deadline = time.monotonic() + duration
    accepted = 0

    async def post_until_deadline() -> None:
        nonlocal accepted
        while time.monotonic() < deadline:
            taken = await poster.post(next(numbers))  # awaited first: `+= await` loses counts
            accepted += taken

    await asyncio.gather(*(post_until_deadline() for _ in range(POSTERS)))
    return accepted


async def _paced(poster: Poster, rate: float, duration: float) -> int:
    """Posts at `rate` a second, each on time whether or not the last was answered."""
    start = time.monotonic()
    posts = []
    for number in range(max(1, int(rate * duration))):
        delay = start + number / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        posts.append(asyncio.create_task(poster.post(number)))
    return sum(await asyncio.gather(*posts))


async def _drain(trial: Trial, posts: int, options: FanoutOptions) -> PhaseStats:
    """The phase's deliveries, once every socket had every post (or a loss went quiet)."""
    stats = await trial.fleet.drain(posts, IDLE_DRAIN_SECONDS, within=120 + 5 * options.duration)
    trial.missed += posts * trial.connected - stats.received
    trial.closed = trial.connected - stats.open_sockets
    return stats


def _rss(pid: int) -> int:
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.NoSuchProcess:
        raise BackchannelError("the server under test exited") from None


def _cpu_seconds(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        raise BackchannelError("the server under test exited") from None
    return float(times.user + times.system)
