"""The run's progress on stderr: a panel redrawn each second on a terminal, a line every few
seconds elsewhere (a log, a CI job), nothing when quiet. See docs/loadgen.md."""

from __future__ import annotations

import types
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from backchannel_tools.loadgen.recorder import Recorder
from backchannel_tools.loadgen.report import format_ms

LINE_EVERY = 5  # seconds between two lines when stderr is not a terminal


class LiveView:
    def __init__(self, duration: float, *, quiet: bool) -> None:
        self.console = Console(stderr=True)
        self.duration = duration
        self.quiet = quiet
        self._live: Live | None = None
        self._rows = 0

    def note(self, line: str) -> None:
        """A step of the set-up."""
        if not self.quiet:
            self.console.print(f"[dim]{line}[/dim]")

    def __enter__(self) -> LiveView:
        if not self.quiet and self.console.is_terminal:
            self._live = Live(Table(), console=self.console, auto_refresh=False, transient=True)
            self._live.start()
        return self

    def __exit__(
        self, *_: type[BaseException] | BaseException | types.TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()

    def update(self, recorder: Recorder, row: dict[str, Any]) -> None:
        """After each second, with that second's row."""
        if self.quiet:
            return
        figures = _figures(recorder, row, self.duration)
        if self._live is not None:
            self._live.update(_panel(figures), refresh=True)
            return
        self._rows += 1
        if self._rows % LINE_EVERY == 0:
            self.console.print("loadgen: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


def _figures(recorder: Recorder, row: dict[str, Any], duration: float) -> dict[str, str]:
    elapsed = recorder.elapsed()
    latency, lag = row["latency_ms"], row["delivery_lag_ms"]
    return {
        "elapsed": f"{min(elapsed, duration):.0f}s of {duration:g}s"
        + (f" ({duration - elapsed:.0f}s left)" if elapsed < duration else " (finishing)"),
        "actions/s": f"{row['actions']:,}",
        "errors": f"{row['errors']:,} this second, {recorder.error_count():,} in all",
        "latency p50/p99": f"{format_ms(latency['p50'])} / {format_ms(latency['p99'])} ms",
        "sockets open": f"{row['sockets_open']:,}",
        "events/s": f"{row['events']:,}",
        "delivery lag p50/p99": f"{format_ms(lag['p50'])} / {format_ms(lag['p99'])} ms",
    }


def _panel(figures: dict[str, str]) -> Table:
    table = Table(title="backchannel loadgen", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in figures.items():
        table.add_row(name, value)
    return table
