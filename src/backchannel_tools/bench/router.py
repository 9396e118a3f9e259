"""`backchannel bench router`: what the router costs over plain SQLAlchemy on the same shard,
and what query consolidation saves on a burst of identical reads.

A throwaway embedded deployment (boot_workspace.py) with one workspace of PEOPLE people and
a #general of 155 messages; then, in one process, in rounds in which the two sides
take turns to go first (so that the machine's noise hits both alike):
- overhead: the same storage functions through `router.read` / `router.write` (shard map,
  pool, guard, row limit) and on a plain SQLAlchemy connection to the same shard file;
- consolidation: bursts of identical history reads, as separate `router.read`s and through
  `router.read_shared`, with the SELECTs the shard received counted.
See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.errors import ConfigError
from backchannel.models import Message
from backchannel.router import Router, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.messaging import messages
from backchannel.storage.engines.connection import Conn, InlineConnection
from backchannel.storage.engines.engine import create_engines
from backchannel.storage.shard import channels, users
from backchannel.storage.shard.history import TsRange, history_txn
from backchannel_tools.bench.boot_data import LINES
from backchannel_tools.bench.boot_workspace import BenchWorkspace, build
from backchannel_tools.bench.harness import Result

PEOPLE = 500  # the row read is one person's by id: the workspace's size hardly matters
POSTS = 150  # posted to #general on top of its own, so that a page is full
PAGE = 100  # messages in a history page, conversations.history's default
WARM_UP = 50  # untimed ops of each kind on each side, before the rounds
WRITES_PER_READS = 10  # a write waits for an fsync (ms on some disks): fewer are timed
AIM = 1.10  # the aim for router/plain
MOST_OPS, MOST_BURST, MOST_ROUNDS = 1_000_000, 10_000, 100
SIDES = ("plain", "router")
SEPARATE, SHARED = "separate", "shared"  # the two ways of reading a burst
USER, HISTORY, UPDATE = "get_user_txn", "history_txn", "set_presence_txn"
PRESENCES = ("away", "active")

Say = Callable[[str], None]
Op = Callable[[int], Awaitable[None]]  # the n-th op of a kind


@dataclass(frozen=True)
class RouterOptions:
    ops: int  # reads of each kind, on each side, in each round (writes: a tenth)
    burst: int  # identical reads in a burst
    rounds: int

    @classmethod
    def checked(cls, ops: int, burst: int, rounds: int) -> RouterOptions:
        if not (1 <= ops <= MOST_OPS and 2 <= burst <= MOST_BURST and 1 <= rounds <= MOST_ROUNDS):
            raise ConfigError(
                f"expected --ops 1-{MOST_OPS}, --burst 2-{MOST_BURST} and --rounds "
                f"1-{MOST_ROUNDS}, got {ops}, {burst} and {rounds}"
            )
        return cls(ops, burst, rounds)

    def count(self, kind: str) -> int:
        """Ops of this kind on each side in a round."""
        return max(1, self.ops // WRITES_PER_READS) if kind == UPDATE else self.ops

    @property
    def bursts(self) -> int:
        """Bursts of each kind in a round: about as many reads as `ops`."""
        return max(1, self.ops // self.burst)


@dataclass(frozen=True)
class Subject:
    """What the ops read and write: a person's row, #general's newest page."""

    workspace_id: str
    channel_id: str
    people: list[str]

    def person(self, number: int) -> str:
        return self.people[number % len(self.people)]


async def page_txn(conn: Conn, channel_id: str, limit: int) -> list[Message]:
    """The channel's newest page: one SELECT, the same whoever reads it (so it may be
    shared), and positional arguments as read_shared passes them."""
    return await history_txn(conn, channel_id, TsRange(), limit=limit)


# -- the two sides -------------------------------------------------------------------------


def router_ops(router: Router, subject: Subject) -> dict[str, Op]:
    """Each op as a request path does it: `router.read(ShardFor(id))`, a storage function."""
    workspace, channel = subject.workspace_id, subject.channel_id

    async def user(number: int) -> None:
        async with router.read(ShardFor(workspace)) as conn:
            await users.get_user_txn(conn, workspace, subject.person(number))

    async def history(_: int) -> None:
        async with router.read(ShardFor(channel)) as conn:
            await page_txn(conn, channel, PAGE)

    async def update(number: int) -> None:
        presence = PRESENCES[number % 2]
        async with router.write(ShardFor(workspace)) as conn:
            await users.set_presence_txn(conn, workspace, subject.person(number), presence)

    return {USER: user, HISTORY: history, UPDATE: update}


def plain_ops(connection: Connection, subject: Subject) -> dict[str, Op]:
    """The same storage functions on one open SQLAlchemy connection: SQLAlchemy begins a
    transaction at the first statement; it is rolled back after a read and committed after
    the write, as the router's are. InlineConnection only lets the async storage functions
    call the connection: the router's side goes through it too."""
    conn = InlineConnection(connection)
    workspace, channel = subject.workspace_id, subject.channel_id

    async def user(number: int) -> None:
        await users.get_user_txn(conn, workspace, subject.person(number))
        connection.rollback()

    async def history(_: int) -> None:
        await page_txn(conn, channel, PAGE)
        connection.rollback()

    async def update(number: int) -> None:
        presence = PRESENCES[number % 2]
        await users.set_presence_txn(conn, workspace, subject.person(number), presence)
        connection.commit()

    return {USER: user, HISTORY: history, UPDATE: update}


# -- what is measured ----------------------------------------------------------------------


@dataclass
class Samples:
    """Seconds, one per op (or per burst)."""

    seconds: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.seconds)

    def percentile(self, fraction: float) -> float:
        return Result("", 1, self.seconds, 0.0, 0).percentile(fraction) / 1000

    def over(self, other: Samples) -> tuple[float, float]:
        """These times over the other's: of the means, and of the p50s."""
        return (
            round(self.mean / other.mean, 2),
            round(self.percentile(0.50) / other.percentile(0.50), 2),
        )


@dataclass
class Timed:
    """One kind of op on one side, over every round."""

    kind: str
    side: str
    times: Samples = field(default_factory=Samples)
    round_means: list[float] = field(default_factory=list)

    def as_row(self, plain: Timed | None) -> dict[str, Any]:
        """Its row; the router's has its ratios to the plain side's."""
        ratio, p50_ratio = self.times.over(plain.times) if plain else (None, None)
        return {
            "op": self.kind,
            "side": self.side,
            "n": len(self.times.seconds),
            "mean_us": round(self.times.mean * 1e6, 1),
            "p50_us": round(self.times.percentile(0.50) * 1e6, 1),
            "p99_us": round(self.times.percentile(0.99) * 1e6, 1),
            "ratio": ratio,
            "p50_ratio": p50_ratio,
        }


@dataclass
class Bursts:
    """Bursts of identical history reads read one way: each burst's wall time, and what
    the shard received."""

    reads: str
    burst: int
    times: Samples = field(default_factory=Samples)
    selects: int = 0  # SELECTs the shard received, all bursts together
    shared: int = 0  # reads that waited for an identical one (consolidator.stats)

    def as_row(self, separate: Bursts | None) -> dict[str, Any]:
        """Its row; the shared reads' has their gain over the separate ones."""
        gain, p50_gain = separate.times.over(self.times) if separate else (None, None)
        bursts = len(self.times.seconds)
        return {
            "reads": self.reads,
            "bursts": bursts,
            "burst": self.burst,
            "mean_ms": round(self.times.mean * 1000, 2),
            "p50_ms": round(self.times.percentile(0.50) * 1000, 2),
            "p99_ms": round(self.times.percentile(0.99) * 1000, 2),
            "statements": round(self.selects / bursts, 1),
            "shared": round(self.shared / bursts, 1),
            "gain": gain,
            "p50_gain": p50_gain,
        }


@dataclass
class RouterReport:
    overhead: dict[tuple[str, str], Timed]
    separate: Bursts
    together: Bursts

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.overhead))

    def ratio(self, kind: str) -> float:
        """router/plain of the mean time per op, every round together: the issue's figure."""
        return self.overhead[kind, "router"].times.over(self.overhead[kind, "plain"].times)[0]

    def round_ratios(self, kind: str) -> list[float]:
        router, plain = self.overhead[kind, "router"], self.overhead[kind, "plain"]
        pairs = zip(router.round_means, plain.round_means, strict=True)
        return [round(mine / theirs, 2) for mine, theirs in pairs]

    def overhead_rows(self) -> list[dict[str, Any]]:
        return [
            timed.as_row(self.overhead[kind, "plain"] if side == "router" else None)
            for (kind, side), timed in self.overhead.items()
        ]

    def burst_rows(self) -> list[dict[str, Any]]:
        return [self.separate.as_row(None), self.together.as_row(self.separate)]

    def verdict(self) -> str:
        """One line: each ratio, and whether it is within the aim."""
        ratios = ", ".join(f"{kind} {self.ratio(kind):.2f}" for kind in self.kinds())
        missed = [kind for kind in self.kinds() if self.ratio(kind) > AIM]
        met = "met" if not missed else f"not met by {', '.join(missed)}"
        return f"router/plain, mean per op: {ratios} (aim at most {AIM:.2f}: {met})"

    def consolidation_line(self) -> str:
        separate, shared = self.burst_rows()
        return (
            f"a burst of {self.together.burst} identical reads: {shared['statements']:g} "
            f"SELECT(s) instead of {separate['statements']:g}; {shared['gain']:g} times faster "
            f"(mean), {shared['p50_gain']:g} (p50)"
        )

    def extra(self) -> dict[str, Any]:
        """What --json adds to the overhead rows."""
        return {
            "consolidation": self.burst_rows(),
            "aim": AIM,
            "ratios": {kind: self.ratio(kind) for kind in self.kinds()},
            "round_ratios": {kind: self.round_ratios(kind) for kind in self.kinds()},
            "aim_met": {kind: self.ratio(kind) <= AIM for kind in self.kinds()},
        }


# -- running it ----------------------------------------------------------------------------


async def run(options: RouterOptions, say: Say) -> RouterReport:
    with tempfile.TemporaryDirectory(prefix="bc-router-") as tmp:
        data = Path(tmp) / "data"
        say(f"building a workspace of {PEOPLE} people")
        workspace = await build(data, PEOPLE, lambda _total: lambda _rows: None)
        backchannel = await open_backchannel(Settings(storage=StorageSettings(data_dir=data)))
        try:
            subject = await _subject(backchannel.ctx, workspace)
            # As `serve` does: what set-up made stays out of the collector's walks, so that
            # neither side pays for it.
            gc.collect()
            gc.freeze()
            return await _measure(backchannel.ctx.router, subject, options, say)
        finally:
            gc.unfreeze()
            await backchannel.close()


async def _subject(ctx: ServiceContext, workspace: BenchWorkspace) -> Subject:
    """#general filled up to a full page and more, by its members, through the services."""
    general = workspace.general
    async with ctx.router.read(ShardFor(general)) as conn:
        channel = await channels.get_channel_txn(conn, general)
    assert channel is not None, "the workspace was just made with #general"
    rng = random.Random(5)
    people = workspace.plan.people
    for _ in range(POSTS):
        await messages.post_message(
            ctx,
            workspace_id=channel.workspace_id,
            user_id=rng.choice(people),
            channel_id=general,
            text=rng.choice(LINES),
        )
    return Subject(channel.workspace_id, general, people)


async def _measure(
    router: Router, subject: Subject, options: RouterOptions, say: Say
) -> RouterReport:
    """Both sides on the shard that holds the workspace. The plain side's SQLAlchemy engine
    is built as the router's pool builds one for that file (create_engines: the same pragmas,
    WAL and synchronous=FULL, and the same BEGIN), then used directly: one connection of its
    own, none of the router's or SqliteEngines' code on the way."""
    shard = await router.resolve(ShardFor(subject.workspace_id))
    assert shard is not None, "a workspace lives on a shard"
    engines = router.pools.engines_for(shard)
    plain = create_engines(engines.url)
    connection = plain.sync_engine.connect()
    try:
        sides = {"plain": plain_ops(connection, subject), "router": router_ops(router, subject)}
        say(f"warming up: {WARM_UP} ops of each kind on each side")
        overhead = await _overhead(sides, options, say)
        say(f"consolidation: {options.rounds * options.bursts} bursts of each kind")
        separate, together = await _consolidation(router, engines.sync_engine, subject, options)
    finally:
        connection.close()
        await plain.dispose()
    return RouterReport(overhead, separate, together)


async def _overhead(
    sides: dict[str, dict[str, Op]], options: RouterOptions, say: Say
) -> dict[tuple[str, str], Timed]:
    kinds = list(sides["router"])
    for ops in sides.values():
        for op in ops.values():
            for number in range(WARM_UP):
                await op(number)
    timed = {(kind, side): Timed(kind, side) for kind in kinds for side in SIDES}
    for number in range(options.rounds):
        say(f"round {number + 1} of {options.rounds}: {options.ops} reads of each kind a side")
        for kind in kinds:
            for side in _turn(number, SIDES):
                await _time(sides[side][kind], options.count(kind), timed[kind, side])
    return timed


def _turn(number: int, pair: tuple[str, str]) -> tuple[str, str]:
    """Which of the two goes first alternates from round to round."""
    first, second = pair
    return pair if number % 2 == 0 else (second, first)


async def _time(op: Op, count: int, timed: Timed) -> None:
    seconds = []
    for number in range(count):
        started = time.perf_counter()
        await op(number)
        seconds.append(time.perf_counter() - started)
    timed.times.seconds += seconds
    timed.round_means.append(statistics.fmean(seconds))


async def _consolidation(
    router: Router, shard_engine: Engine, subject: Subject, options: RouterOptions
) -> tuple[Bursts, Bursts]:
    channel, burst = subject.channel_id, options.burst
    consolidator = router.consolidator
    page = router_ops(router, subject)[HISTORY]

    async def separate() -> None:
        await asyncio.gather(*(page(number) for number in range(burst)))

    async def shared() -> None:
        await asyncio.gather(
            *(router.read_shared(ShardFor(channel), page_txn, channel, PAGE) for _ in range(burst))
        )

    made = {SEPARATE: Bursts(SEPARATE, burst), SHARED: Bursts(SHARED, burst)}
    bursts = {SEPARATE: separate, SHARED: shared}
    for number in range(options.rounds):
        for reads in _turn(number, (SEPARATE, SHARED)):
            shared_before = consolidator.stats.shared
            with _selects(shard_engine) as counted:
                for _ in range(options.bursts):
                    started = time.perf_counter()
                    await bursts[reads]()
                    made[reads].times.seconds.append(time.perf_counter() - started)
            made[reads].selects += counted[0]
            made[reads].shared += consolidator.stats.shared - shared_before
    return made[SEPARATE], made[SHARED]


@contextmanager
def _selects(engine: Engine) -> Iterator[list[int]]:
    """Counts the SELECTs the engine's connections send meanwhile (in a one-item list)."""
    counted = [0]

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        counted[0] += statement.lstrip()[:6].upper() == "SELECT"

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", seen)
