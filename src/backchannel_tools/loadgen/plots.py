"""The report's plots: throughput, latency percentiles and delivery lag over the run.

matplotlib is imported here only, on the Agg backend (no display), so that the command
starts fast. See docs/loadgen.md#the-report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from backchannel_tools.loadgen.mix import ACTIONS, HTTP_ACTIONS, RECONNECT

PERCENTILES = ("p50", "p90", "p99")
SIZE = (12.0, 7.0)
LAG_DISTRIBUTION = "delivery lag, distribution over the run"


def write_plots(directory: Path, report: dict[str, Any], lags: Sequence[float]) -> list[Path]:
    series = report["series"]
    times = [row["t"] for row in series]
    settings = report["settings"]
    title = _title(settings)
    drawn = {
        "throughput.png": _throughput(times, series, title),
        "latency.png": _latency(times, series, title),
        "delivery_lag.png": _delivery_lag(times, series, lags, title),
    }
    paths = []
    for name, figure in drawn.items():
        for axes in figure.axes:
            if axes.get_xscale() == "linear" and axes.get_title() != LAG_DISTRIBUTION:
                axes.axvline(settings["duration"], color="grey", linestyle="--", linewidth=1)
        figure.tight_layout()
        path = directory / name
        figure.savefig(path, dpi=100)
        plt.close(figure)
        paths.append(path)
    return paths


def _title(settings: dict[str, Any]) -> str:
    return (
        f"{settings['users']} users, {settings['connected_fraction']:g} connected, "
        f"think {settings['think_time']:g}s, {settings['duration']:g}s"
    )


def _throughput(times: list[float], series: list[dict[str, Any]], title: str) -> Figure:
    figure, (top, bottom) = plt.subplots(2, 1, figsize=SIZE, sharex=True)
    names = [name for name in ACTIONS if any(name in row["by_action"] for row in series)]
    stacks = [[row["by_action"].get(name, {}).get("ok", 0) for row in series] for name in names]
    if names:
        top.stackplot(times, stacks, labels=names, step="pre")
    top.plot(times, [row["errors"] for row in series], color="red", label="errors")
    _decorate(top, f"actions per second ({title})", "per second")
    bottom.plot(times, [row["sockets_open"] for row in series], label="sockets open")
    bottom.plot(times, [row["events"] for row in series], label="events received/s")
    _decorate(bottom, "sockets and the events they received", "count")
    bottom.set_xlabel("seconds into the run")
    return figure


def _latency(times: list[float], series: list[dict[str, Any]], title: str) -> Figure:
    figure, (top, bottom) = plt.subplots(2, 1, figsize=SIZE, sharex=True)
    for key in PERCENTILES:
        top.plot(times, [_value(row["latency_ms"][key]) for row in series], label=key)
    _decorate(top, f"Web API latency, all calls ({title})", "ms")
    for name in (*sorted(HTTP_ACTIONS), RECONNECT):
        if any(name in row["by_action"] for row in series):
            p99 = [_value(row["by_action"].get(name, {}).get("p99")) for row in series]
            bottom.plot(times, p99, label=name, marker=".")
    _decorate(bottom, "p99 latency by action", "ms")
    bottom.set_xlabel("seconds into the run")
    return figure


def _delivery_lag(
    times: list[float], series: list[dict[str, Any]], lags: Sequence[float], title: str
) -> Figure:
    figure, (top, bottom) = plt.subplots(2, 1, figsize=SIZE)
    for key in PERCENTILES:
        top.plot(times, [_value(row["delivery_lag_ms"][key]) for row in series], label=key)
    _decorate(top, f"delivery lag, post sent to event received ({title})", "ms")
    top.set_xlabel("seconds into the run")
    ordered = sorted(lag * 1000 for lag in lags)
    if ordered:
        fractions = [(n + 1) / len(ordered) for n in range(len(ordered))]
        bottom.plot(ordered, fractions, label=f"{len(ordered):,} deliveries (sampled)")
        bottom.set_xscale("log")
        bottom.xaxis.set_major_formatter(ScalarFormatter())
    _decorate(bottom, LAG_DISTRIBUTION, "fraction delivered")
    bottom.set_xlabel("ms (log scale)")
    return figure


def _decorate(axes: Axes, title: str, unit: str) -> None:
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(unit)
    axes.grid(True, alpha=0.3)
    if axes.get_legend_handles_labels()[0]:  # beside the plot, not over it
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _value(value: float | None) -> float:
    return math.nan if value is None else value
