"""The report of a load run: report.json, the plots beside it, and the summary table's rows.

What each field means: docs/loadgen.md#the-report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from backchannel_tools.loadgen.mix import ACTIONS, POST, REPLY
from backchannel_tools.loadgen.recorder import Recorder

REPORT = "report.json"


def build(
    settings: dict[str, Any], population: dict[str, Any], recorder: Recorder
) -> dict[str, Any]:
    ran = recorder.load_seconds(float(settings["duration"]))
    actions = {
        name: totals.as_json()
        for name, totals in recorder.totals.items()
        if totals.ok or totals.errors
    }
    done = sum(totals.ok for totals in recorder.totals.values())
    return {
        "settings": settings,
        "population": population,
        "summary": {
            "elapsed_s": round(recorder.elapsed(), 2),
            "load_s": round(ran, 2),  # the duration, or less when stopped early (Ctrl-C)
            "stopped_early": recorder.stopped_at is not None,
            "actions": done,
            "actions_per_s": round(done / ran, 1),
            "errors": recorder.error_count(),
            "posts_acknowledged": recorder.totals[POST].ok + recorder.totals[REPLY].ok,
            "latency_ms": recorder.http.summary_ms(),
            "delivery_lag_ms": recorder.lag.summary_ms(),
            "sockets_max": recorder.sockets_max,
            "events_received": recorder.events,
        },
        "actions": actions,
        "series": recorder.series,
    }


def write(directory: Path, report: dict[str, Any], recorder: Recorder) -> list[Path]:
    """report.json and the plots, in `directory` (made if missing); the files written."""
    from backchannel_tools.loadgen.plots import write_plots  # matplotlib: only when writing

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REPORT
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return [path, *write_plots(directory, report, recorder.lag.kept)]


def summary_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """A row per action done, then all Web API calls together, then delivery lag."""
    duration = float(report["summary"]["load_s"])
    done = report["actions"]
    rows = [
        _row(name, done[name]["count"], done[name]["errors"], done[name]["latency_ms"], duration)
        for name in ACTIONS
        if name in done
    ]
    calls, lag = report["summary"]["latency_ms"], report["summary"]["delivery_lag_ms"]
    rows.append(_row("Web API calls (ok)", calls["count"], {}, calls, duration))
    rows.append(_row("delivery lag", lag["count"], {}, lag, duration))
    return rows


def _row(
    name: str, count: int, errors: dict[str, int], latency: dict[str, Any], duration: float
) -> dict[str, str]:
    kinds = ", ".join(f"{kind} {n}" for kind, n in list(errors.items())[:3])
    return {
        "action": name,
        "count": f"{count:,}",
        "per_s": f"{count / duration:,.1f}",
        "errors": f"{sum(errors.values()):,}" + (f" ({kinds})" if kinds else ""),
        **{key: format_ms(latency.get(key)) for key in ("p50", "p90", "p99", "max")},
    }


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"
