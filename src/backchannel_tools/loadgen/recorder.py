"""What a load run measured: totals per action, and a row of figures per second.

Samples go into the second being filled; once a second the runner closes it into a row of
percentiles (docs/loadgen.md#the-report). The totals keep a bounded uniform sample of
every latency, so a long run's memory does not grow with its length.
"""

from __future__ import annotations

import collections
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backchannel_tools.bench.harness import Result
from backchannel_tools.loadgen.mix import ACTIONS, HTTP_ACTIONS

RESERVOIR = 100_000  # samples kept per total: enough for a p99 of any run length
FRACTIONS = {"p50": 0.50, "p90": 0.90, "p99": 0.99}


def percentiles_ms(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99 of samples in seconds, in milliseconds; None each when there are none."""
    if not values:
        return dict.fromkeys(FRACTIONS)
    timed = Result("", 1, list(values), 0.0, 0)  # the benchmarks' nearest-rank percentiles
    return {name: round(timed.percentile(fraction), 2) for name, fraction in FRACTIONS.items()}


class Samples:
    """A uniform sample of at most `cap` values (reservoir sampling), with the exact count
    and maximum of all of them."""

    def __init__(self, rng: random.Random, cap: int = RESERVOIR) -> None:
        self._rng = rng
        self._cap = cap
        self.kept: list[float] = []
        self.count = 0
        self.max = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.max = max(self.max, value)
        if len(self.kept) < self._cap:
            self.kept.append(value)
            return
        slot = self._rng.randrange(self.count)
        if slot < self._cap:
            self.kept[slot] = value

    def summary_ms(self) -> dict[str, Any]:
        return {
            "count": self.count,
            **percentiles_ms(self.kept),
            "max": round(self.max * 1000, 2) if self.count else None,
        }


@dataclass
class Totals:
    """One action over the whole run."""

    latency: Samples
    ok: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    def as_json(self) -> dict[str, Any]:
        latency = self.latency.summary_ms()
        latency.pop("count")
        return {
            "count": self.ok + sum(self.errors.values()),
            "ok": self.ok,
            "errors": dict(self.errors.most_common()),
            "latency_ms": latency,
        }


@dataclass
class _Second:
    """The second being filled."""

    ok: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    lags: list[float] = field(default_factory=list)
    events: int = 0


class Recorder:
    """Counts and latencies as they happen; `close_second` turns them into a series row."""

    def __init__(self, rng: random.Random, clock: Callable[[], float] = time.perf_counter):
        self.clock = clock
        self.started = clock()
        self.totals = {name: Totals(Samples(rng)) for name in ACTIONS}
        self.http = Samples(rng)  # every Web API call of the mix: the overall latency
        self.lag = Samples(rng)
        self.series: list[dict[str, Any]] = []
        self.sockets_open = 0
        self.sockets_max = 0
        self.events = 0
        self.stopped_at: float | None = None  # seconds in, when stopped early (Ctrl-C)
        self._second = _Second()

    def ok(self, action: str, latency: float | None) -> None:
        self.totals[action].ok += 1
        self._second.ok[action] += 1
        if latency is not None:
            self.totals[action].latency.add(latency)
            self._second.latencies[action].append(latency)
            if action in HTTP_ACTIONS:
                self.http.add(latency)

    def error(self, action: str, kind: str) -> None:
        self.totals[action].errors[kind] += 1
        self._second.errors[action] += 1

    def delivered(self, lag: float) -> None:
        self.lag.add(lag)
        self._second.lags.append(lag)

    def event(self) -> None:
        self.events += 1
        self._second.events += 1

    def socket_opened(self) -> None:
        self.sockets_open += 1
        self.sockets_max = max(self.sockets_max, self.sockets_open)

    def socket_closed(self) -> None:
        self.sockets_open -= 1

    def error_count(self) -> int:
        return sum(sum(totals.errors.values()) for totals in self.totals.values())

    def elapsed(self) -> float:
        return self.clock() - self.started

    def stop_early(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = self.elapsed()

    def load_seconds(self, duration: float) -> float:
        """How long the load ran: the duration asked for, or less when stopped early."""
        return duration if self.stopped_at is None else max(self.stopped_at, 0.001)

    def close_second(self) -> dict[str, Any]:
        """The row of the second that just ended; a new second starts."""
        second, self._second = self._second, _Second()
        http = [x for name in HTTP_ACTIONS for x in second.latencies.get(name, ())]
        by_action = {
            name: {
                "ok": second.ok[name],
                "errors": second.errors[name],
                **percentiles_ms(second.latencies.get(name, ())),
            }
            for name in ACTIONS
            if second.ok[name] or second.errors[name]
        }
        row = {
            "t": round(self.elapsed(), 2),
            "actions": sum(second.ok.values()),
            "errors": sum(second.errors.values()),
            "latency_ms": percentiles_ms(http),
            "by_action": by_action,
            "delivery_lag_ms": {"count": len(second.lags), **percentiles_ms(second.lags)},
            "events": second.events,
            "sockets_open": self.sockets_open,
        }
        self.series.append(row)
        return row
