"""The metrics of one Backchannel process, in Prometheus's format (docs/metrics.md).

Each `Metrics` owns a `CollectorRegistry` of its own instead of prometheus_client's global
one: app.py builds one per `Backchannel`, the webapp and the edge of a process share it (so
both ports show the same numbers), and the several deployments a test run opens in one
process never see each other's counts or collide on a metric's name.

Two kinds of metric:

- counted where it happens, on paths kept cheap (a labelled child is looked up once and
  kept): API calls and their latency, event frames written to sockets, the bus's lag;
- sampled at scrape time from what a component keeps anyway (`sample`), costing nothing
  until Prometheus asks: open sockets, shard pools in use, consolidated reads, rate-limit
  refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Literal, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNKNOWN_METHOD = "unknown"  # every name that is no API method: the label stays bounded
API_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Kind = Literal["gauge", "counter"]
M = TypeVar("M", Counter, Histogram)
# What a sampled family reads: (its label values, the value) for each series.
Series = Iterable[tuple[Sequence[str], float]]
Read = Callable[[], Series]

# A `_created` series beside every counter doubles the page for what no dashboard reads.
disable_created_metrics()  # type: ignore[no-untyped-call]  # (not annotated upstream)


class Sampled(Collector):
    """A family read at scrape time from the component that already keeps the number."""

    def __init__(
        self, name: str, documentation: str, kind: Kind, labels: Sequence[str], read: Read
    ) -> None:
        self.name, self.documentation, self.kind = name, documentation, kind
        self.labels, self.read = list(labels), read

    def _family(self) -> GaugeMetricFamily | CounterMetricFamily:
        family = GaugeMetricFamily if self.kind == "gauge" else CounterMetricFamily
        return family(self.name, self.documentation, labels=self.labels)

    def describe(self) -> Iterable[Metric]:
        return [self._family()]  # registering asks for its names, not its values

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        for values, value in self.read():
            family.add_metric(list(values), value)
        return [family]


class Children(Generic[M]):
    """A labelled family's children, each looked up once and kept: a hot path then costs a
    dict lookup instead of prometheus_client's label checks."""

    def __init__(self, family: M) -> None:
        self._family: M = family
        self._kept: dict[tuple[str, ...], M] = {}

    def __call__(self, *labels: str) -> M:
        child = self._kept.get(labels)
        if child is None:
            child = self._kept[labels] = self._family.labels(*labels)
        return child


class Metrics:
    def __init__(self, *, process: bool = True) -> None:
        """`process`: with the process's CPU, memory, open files and GC (one per process
        is enough; tests that build many leave them out)."""
        registry = self.registry = CollectorRegistry()
        if process:
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        self._api_calls = Children(
            Counter(
                "backchannel_api_requests",
                "Web API calls answered, by method and outcome (ok, or the Slack error string).",
                ["method", "status"],
                registry=registry,
            )
        )
        self._api_seconds = Children(
            Histogram(
                "backchannel_api_request_seconds",
                "Seconds from a Web API call's arrival to its reply, by method.",
                ["method"],
                buckets=API_BUCKETS,
                registry=registry,
            )
        )
        self.events_delivered = Counter(
            "backchannel_events_delivered",
            "Event frames the edge wrote to client sockets (live, catch-up and backlog).",
            registry=registry,
        )
        self.bus_lag = Histogram(
            "backchannel_bus_lag_seconds",
            "Seconds from an event's publication on the bus to its arrival at the edge.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self._frames = Children(
            Counter(
                "backchannel_socket_frames",
                "Frames clients sent on their sockets, by type and outcome (ok, or the Slack "
                "error string; type unknown, invalid or unread for the rest).",
                ["type", "status"],
                registry=registry,
            )
        )
        self._frame_seconds = Children(
            Histogram(
                "backchannel_socket_frame_seconds",
                "Seconds the edge took to answer a frame a client sent, by type.",
                ["type"],
                buckets=API_BUCKETS,
                registry=registry,
            )
        )
        self._sockets: dict[str, Callable[[], int]] = {}
        self.sample(
            "backchannel_edge_sockets",
            "Client websockets open on the edge, by the edge's URL.",
            "gauge",
            ["edge"],
            lambda: [((url,), count()) for url, count in self._sockets.items()],
        )

    def api_call(self, method: str, status: str, seconds: float) -> None:
        """Count one Web API call; `method` is a registered name or UNKNOWN_METHOD."""
        self._api_seconds(method).observe(seconds)
        self._api_calls(method, status).inc()

    def socket_frame(self, kind: str, status: str, seconds: float | None = None) -> None:
        """Count one frame a client sent; `kind` is a known type or one of the edge's
        stand-ins (protocol.py); `seconds` is None for a frame refused unread."""
        if seconds is not None:
            self._frame_seconds(kind).observe(seconds)
        self._frames(kind, status).inc()

    def sample(
        self, name: str, documentation: str, kind: Kind, labels: Sequence[str], read: Read
    ) -> None:
        """A family read by `read` whenever the metrics are scraped."""
        self.registry.register(Sampled(name, documentation, kind, labels, read))

    def watch_sockets(self, edge_url: str, count: Callable[[], int]) -> None:
        """Show `count()` as the open sockets of the edge at `edge_url` until forgotten."""
        self._sockets[edge_url] = count

    def forget_sockets(self, edge_url: str) -> None:
        self._sockets.pop(edge_url, None)

    def exposition(self) -> bytes:
        """Every metric, in the text format (served with CONTENT_TYPE)."""
        return generate_latest(self.registry)
