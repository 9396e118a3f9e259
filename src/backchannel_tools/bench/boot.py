"""`backchannel bench boot`: Slack's full rtm.start against the edge's lean boot, and the
queries a lean client asks instead, on workspaces of thousands of people.

For each size a fresh data dir is filled in bulk (boot_workspace.py) and served by
`backchannel serve` in a subprocess (web app and edge in one process, rate limits off),
driven over loopback HTTP and websockets from this process (boot_client.py):
- cold: the first boot of a server process just started (its edge cache empty), once per
  start, `cold` starts for each kind of boot;
- warm: then one server for many boots of each kind, one at a time, and the queries.
See docs/benchmarks.md.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backchannel.errors import ConfigError
from backchannel_tools.bench.boot_client import BootClient
from backchannel_tools.bench.boot_data import FEWEST_PEOPLE
from backchannel_tools.bench.boot_queries import Queries, p50_p99_ms, time_queries
from backchannel_tools.bench.boot_workspace import BenchWorkspace, build
from backchannel_tools.bench.fanout_backchannel import EdgeServer

WARM_UP = 3  # boots of each kind before the warm ones are timed
FULL_BUDGET_SECONDS = 60.0  # warm rtm.start calls stop past this, once FULL_AT_LEAST were made
FULL_AT_LEAST = 10
MOST_PEOPLE, MOST_WARM, MOST_COLD, MOST_QUERIES = 200_000, 10_000, 20, 10_000


@dataclass(frozen=True)
class BootOptions:
    sizes: tuple[int, ...]  # people
    warm: int  # warm boots of each kind (rtm.start: fewer if slow, see FULL_BUDGET_SECONDS)
    cold: int  # server starts for each kind of boot
    queries: int  # of each kind

    @classmethod
    def checked(cls, sizes: str, warm: int, cold: int, queries: int) -> BootOptions:
        """The options as given on the command line ("1500,32000"), checked."""
        try:
            people = tuple(int(part) for part in sizes.split(","))
        except ValueError:
            people = ()
        if not people or not all(FEWEST_PEOPLE <= size <= MOST_PEOPLE for size in people):
            raise ConfigError(
                f"--sizes must be numbers of people from {FEWEST_PEOPLE} to {MOST_PEOPLE}, "
                f"separated by commas, got {sizes!r}"
            )
        if not (1 <= warm <= MOST_WARM and 1 <= cold <= MOST_COLD and 1 <= queries <= MOST_QUERIES):
            raise ConfigError(
                f"expected --warm 1-{MOST_WARM}, --cold 1-{MOST_COLD} and --queries "
                f"1-{MOST_QUERIES}, got {warm}, {cold} and {queries}"
            )
        return cls(people, warm, cold, queries)


@dataclass
class Boots:
    """One kind of boot at one size: its bytes, its cold and warm times."""

    kind: str
    size: int = 0
    cold: list[float] = field(default_factory=list)  # seconds, one per server start
    warm: list[float] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)  # lean: client.boot's reply alone

    def as_row(self, workspace: BenchWorkspace, smaller: float | None) -> dict[str, Any]:
        p50, p99 = p50_p99_ms(self.warm)
        frame_p50, frame_p99 = p50_p99_ms(self.frames) if self.frames else (None, None)
        return {
            "people": workspace.people,
            "channels": workspace.channels,
            "boot": self.kind,
            "bytes": self.size,
            "smaller": smaller,
            "cold_ms": [round(seconds * 1000, 1) for seconds in self.cold],
            "warm_n": len(self.warm),
            "p50_ms": p50,
            "p99_ms": p99,
            "frame_p50_ms": frame_p50,
            "frame_p99_ms": frame_p99,
        }


@dataclass
class SizeReport:
    workspace: BenchWorkspace
    full: Boots = field(default_factory=lambda: Boots("rtm.start"))
    lean: Boots = field(default_factory=lambda: Boots("lean"))
    queries: list[Queries] = field(default_factory=list)

    @property
    def smaller(self) -> float:
        """How many times smaller the lean boot's reply is than rtm.start's body."""
        return round(self.full.size / self.lean.size, 1) if self.lean.size else 0.0

    def boot_rows(self) -> list[dict[str, Any]]:
        return [
            self.full.as_row(self.workspace, None),
            self.lean.as_row(self.workspace, self.smaller),
        ]

    def query_rows(self) -> list[dict[str, Any]]:
        return [queries.as_row(self.workspace) for queries in self.queries]


def cells(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a table shows it: thousands apart, the cold times side by side, "-" for no
    value."""
    return {key: _cell(value) for key, value in row.items()}


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return " / ".join(map(str, value))
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "-" if value is None else value


Say = Callable[[str], None]
Sample = tuple[float, int, float | None]  # seconds, bytes, and (lean) the boot frame's seconds


async def run(options: BootOptions, console: Console) -> list[SizeReport]:
    reports = []

    def say(line: str) -> None:
        console.print(f"[dim]{line}[/dim]")

    for people in options.sizes:
        with tempfile.TemporaryDirectory(prefix="bc-boot-") as tmp:
            data = Path(tmp) / "data"
            workspace = await _build(data, people, console)
            report = SizeReport(workspace)
            await _cold(data, report, options.cold, say)
            await _warm(data, report, options, say)
            reports.append(report)
    return reports


async def _build(data: Path, people: int, console: Console) -> BenchWorkspace:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("rows"), TimeElapsedColumn(), console=console) as bar:

        def started(total: int) -> Callable[[int], None]:
            task = bar.add_task(f"building {people:,} people", total=total)
            return lambda rows: bar.advance(task, rows)

        return await build(data, people, started)


async def _cold(data: Path, report: SizeReport, starts: int, say: Say) -> None:
    """Each boot the first of a server just started, the two kinds on servers of their own."""
    people = report.workspace.people
    for number in range(1, starts + 1):
        for boots, boot in ((report.full, _full_once), (report.lean, _lean_once)):
            say(f"{people:,} people: cold {boots.kind} {number} of {starts}")
            server = EdgeServer(data)
            try:
                async with aiohttp.ClientSession() as session:
                    seconds, _, _ = await boot(
                        BootClient(session, server.url, report.workspace.token)
                    )
            finally:
                server.stop()
            boots.cold.append(seconds)


async def _full_once(client: BootClient) -> Sample:
    full = await client.full_boot()
    return full.seconds, full.size, None


async def _lean_once(client: BootClient) -> Sample:
    lean = await client.lean_boot()
    await lean.socket.close()
    return lean.seconds, lean.size, lean.frame_seconds


async def _warm(data: Path, report: SizeReport, options: BootOptions, say: Say) -> None:
    """One server: a few boots untimed, then the timed ones, one at a time; the queries."""
    people = report.workspace.people
    server = EdgeServer(data)
    try:
        async with aiohttp.ClientSession() as session:
            client = BootClient(session, server.url, report.workspace.token)
            for _ in range(WARM_UP):
                await _lean_once(client)
                await _full_once(client)
            say(f"{people:,} people: {options.warm} warm lean boots")
            await _repeat(report.lean, _lean_once, client, options.warm, None)
            say(f"{people:,} people: up to {options.warm} warm rtm.start calls")
            await _repeat(report.full, _full_once, client, options.warm, FULL_BUDGET_SECONDS)
            say(f"{people:,} people: {options.queries} queries of each kind")
            report.queries = await time_queries(client, report.workspace, options.queries)
    finally:
        server.stop()


async def _repeat(
    boots: Boots,
    boot: Callable[[BootClient], Awaitable[Sample]],
    client: BootClient,
    count: int,
    budget: float | None,
) -> None:
    """`count` boots, or (with a budget) fewer once the budget is spent and FULL_AT_LEAST
    were made."""
    deadline = time.monotonic() + budget if budget is not None else None
    for number in range(count):
        if deadline is not None and number >= FULL_AT_LEAST and time.monotonic() > deadline:
            return
        seconds, boots.size, frame = await boot(client)
        boots.warm.append(seconds)
        if frame is not None:
            boots.frames.append(frame)
