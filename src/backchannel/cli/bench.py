"""`backchannel bench ...`: benchmarks that print a table (never used as test thresholds)."""

from __future__ import annotations

import asyncio

import click
import orjson
from rich.console import Console
from rich.table import Table

from backchannel.bench import api
from backchannel.bench.harness import Result


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
    _print(results, "backchannel bench api (embedded SQLite, rate limits off)", as_json)


def _print(results: list[Result], title: str, as_json: bool) -> None:
    rows = [result.as_row() for result in results]
    if as_json:
        click.echo(orjson.dumps({"benchmark": title, "rows": rows}).decode())
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    Console(width=120).print(table)
