"""`backchannel bench ...`: benchmarks that print a table (never used as test thresholds)."""

from __future__ import annotations

import asyncio
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from backchannel.errors import ConfigError
from backchannel_tools.bench import api, apps, boot, fanout, router


@click.group()
def bench() -> None:
    """Measure Backchannel on this machine."""


@bench.command("api")
@click.option(
    "--duration",
    type=click.FloatRange(min=0.5),
    default=5.0,
    help="Seconds per scenario (default 5).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON object.")
def api_command(duration: float, as_json: bool) -> None:
    """chat.postMessage and conversations.history, 1 and 8 clients, embedded SQLite."""
    console = Console(stderr=True)
    results = asyncio.run(api.run(duration, lambda line: console.print(f"[dim]{line}[/dim]")))
    rows = [result.as_row() for result in results]
    _print(rows, "backchannel bench api (embedded SQLite, rate limits off)", as_json)


@bench.command("apps")
@click.option(
    "--burst", type=click.IntRange(min=10), default=2000, help="Posts per burst (default 2000)."
)
@click.option(
    "--paced",
    type=click.FloatRange(min=1.0),
    default=10.0,
    help="Seconds of posts at 100 a second (default 10).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON object.")
def apps_command(burst: int, paced: float, as_json: bool) -> None:
    """Events delivered to Slack apps (Socket Mode and the Events API, 1 and 10 apps) from
    one edge process: events per second, post-to-handler latency, loss across a restart."""
    console = Console(stderr=True)
    rows = asyncio.run(apps.run(burst, paced, lambda line: console.print(f"[dim]{line}[/dim]")))
    _print([row.cells() for row in rows], "backchannel bench apps (embedded SQLite)", as_json)


@bench.command("fanout")
@click.option("--clients", type=int, default=1000, help="Websocket clients (default 1000).")
@click.option("--duration", type=float, default=10.0, help="Seconds per phase (default 10).")
@click.option(
    "--rate", type=float, default=50.0, help="Messages/s of the latency phase (default 50)."
)
@click.option(
    "--rounds",
    type=int,
    default=3,
    help="Throughput rounds per server, taken in turns; the best counts (default 3).",
)
@click.option(
    "--processes",
    type=int,
    default=None,
    help="Client processes (default one per 1,000 clients, at most 4).",
)
@click.option(
    "--only",
    type=str,
    default=None,
    help="Run one side only: baseline or backchannel (no ratio then).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON object.")
def fanout_command(
    clients: int,
    duration: float,
    rate: float,
    rounds: int,
    processes: int | None,
    only: str | None,
    as_json: bool,
) -> None:
    """One channel's messages to N sockets: Backchannel's edge against websockets.broadcast."""
    options = _fanout_options(clients, duration, rate, rounds, processes)
    servers = _servers(only)
    console = Console(stderr=True)
    results = asyncio.run(
        fanout.run(options, servers, lambda line: console.print(f"[dim]{line}[/dim]"))
    )
    rows = [result.as_row() for result in results]
    ratio = (
        round(results[1].deliveries_per_s / results[0].deliveries_per_s, 2)
        if len(results) == 2 and results[0].deliveries_per_s
        else None
    )
    title = f"backchannel bench fanout ({options.clients} clients, one channel)"
    each_round = {t.subject.name: [round(r.deliveries_per_s) for r in t.rounds] for t in results}
    extra: dict[str, Any] = {"rounds_deliveries_per_s": each_round}
    if ratio is not None:
        extra["ratio"] = ratio
    _print(rows, title, as_json, extra)
    if ratio is not None and not as_json:
        click.echo(f"backchannel/baseline deliveries/s: {ratio:.2f}")


def _fanout_options(
    clients: int, duration: float, rate: float, rounds: int, processes: int | None
) -> fanout.FanoutOptions:
    # Checked here rather than by click's types: a bad value is one line, not a usage page.
    if clients < 1:
        raise ConfigError(f"--clients must be 1 or more, got {clients}")
    if not duration >= 0.5:
        raise ConfigError(f"--duration must be 0.5 seconds or more, got {duration:g}")
    if not 0 < rate <= 10_000:
        raise ConfigError(f"--rate must be above 0 and at most 10000 messages/s, got {rate:g}")
    if not 1 <= rounds <= 20:
        raise ConfigError(f"--rounds must be between 1 and 20, got {rounds}")
    chosen = fanout.default_processes(clients) if processes is None else processes
    if not 1 <= chosen <= clients:
        raise ConfigError(f"--processes must be between 1 and --clients ({clients}), got {chosen}")
    return fanout.FanoutOptions(clients, duration, rate, chosen, rounds)


def _servers(only: str | None) -> tuple[str, ...]:
    if only is None:
        return fanout.SERVERS
    if only not in fanout.SERVERS:
        raise ConfigError(f"--only must be baseline or backchannel, got {only!r}")
    return (only,)


@bench.command("boot")
@click.option(
    "--sizes", default="1500,32000", help="Workspace sizes in people (default 1500,32000)."
)
@click.option("--warm", type=int, default=200, help="Warm boots of each kind (default 200).")
@click.option("--cold", type=int, default=3, help="Server starts per kind of boot (default 3).")
@click.option("--queries", type=int, default=300, help="Queries of each kind (default 300).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON object.")
def boot_command(sizes: str, warm: int, cold: int, queries: int, as_json: bool) -> None:
    """rtm.start against the edge's lean boot (client.boot), and the edge's queries."""
    options = boot.BootOptions.checked(sizes, warm, cold, queries)
    reports = asyncio.run(boot.run(options, Console(stderr=True)))
    rows = [row for report in reports for row in report.boot_rows()]
    queried = [row for report in reports for row in report.query_rows()]
    title = "backchannel bench boot (embedded SQLite, rate limits off)"
    if as_json:
        _print(rows, title, as_json, {"queries": queried})
        return
    _print([boot.cells(row) for row in rows], title, as_json)
    _print([boot.cells(row) for row in queried], "queries on a lean socket", as_json)


@bench.command("router")
@click.option(
    "--ops", type=int, default=1000, help="Reads of each kind a side a round (default 1000)."
)
@click.option("--burst", type=int, default=50, help="Identical reads in a burst (default 50).")
@click.option(
    "--rounds", type=int, default=6, help="Rounds, the sides taking turns first (default 6)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as one JSON object.")
def router_command(ops: int, burst: int, rounds: int, as_json: bool) -> None:
    """The router against plain SQLAlchemy on one shard, and query consolidation's gain."""
    options = router.RouterOptions.checked(ops, burst, rounds)
    console = Console(stderr=True)
    report = asyncio.run(router.run(options, lambda line: console.print(f"[dim]{line}[/dim]")))
    title = "backchannel bench router (embedded SQLite, one shard)"
    if as_json:
        _print(report.overhead_rows(), title, as_json, report.extra())
        return
    _print([boot.cells(row) for row in report.overhead_rows()], title, as_json)
    click.echo(report.verdict())
    bursts = f"consolidation: bursts of {burst} identical history reads"
    _print([boot.cells(row) for row in report.burst_rows()], bursts, as_json)
    click.echo(report.consolidation_line())


def _print(
    rows: list[dict[str, Any]], title: str, as_json: bool, extra: dict[str, Any] | None = None
) -> None:
    if as_json:
        click.echo(orjson.dumps({"benchmark": title, "rows": rows, **(extra or {})}).decode())
        return
    table = Table(title=title)
    first = next(iter(rows[0]))
    for column in rows[0]:
        table.add_column(column, justify="left" if column == first else "right")
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    Console(width=160).print(table)
