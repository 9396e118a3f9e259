"""`backchannel loadgen`: a simulated workspace population against a running deployment on
this machine, for a bounded time; writes a report (JSON and plots). See docs/loadgen.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import uvloop
from rich.console import Console
from rich.table import Table

from backchannel.cli.options import build_settings, storage_options
from backchannel.cli.runner import run_with_services
from backchannel.config import Settings
from backchannel.services import ServiceContext
from backchannel_tools.loadgen import population, preflight, report
from backchannel_tools.loadgen.live import LiveView
from backchannel_tools.loadgen.options import FLAGS, LoadgenOptions
from backchannel_tools.loadgen.run import Plan, run


@click.command()
@click.option("--url", required=True, help="The deployment's Web API (loopback only).")
@click.option("--users", type=int, default=100, show_default=True, help="Simulated people.")
@click.option(
    "--connected-fraction",
    type=float,
    default=0.3,
    show_default=True,
    help="The share of people holding an RTM socket.",
)
@click.option("--duration", type=float, default=60.0, show_default=True, help="Seconds of load.")
@click.option("--rate", type=float, default=None, help="Target actions/s of the whole crowd.")
@click.option(
    "--think-time", type=float, default=None, help="Mean seconds between a person's actions (5)."
)
@click.option("--channels", type=int, default=8, show_default=True, help="load-K channels.")
@click.option("--workspace", "domain", default="loadgen", show_default=True, help="Its domain.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The report's directory (default ./loadgen-report-<time>).",
)
@click.option("--seed", type=int, default=None, help="Seed of the simulation's randomness.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@storage_options
def loadgen(quiet: bool, **given: Any) -> None:
    """Simulate a workspace's people against a server on this machine; write a report."""
    options = LoadgenOptions.checked(**{flag: given.pop(flag) for flag in FLAGS})
    settings = build_settings(**given)  # what is left: the storage options
    view = LiveView(options.duration, quiet=quiet)
    uvloop.run(preflight.check_reachable(options.url))
    people = _population(settings, options, view)
    sockets = options.connected_fraction > 0
    uvloop.run(preflight.check_deployment(options.url, people.members[0].token, sockets=sockets))
    view.note(f"loading {options.url} for {options.duration:g}s")
    plan = Plan(
        options.url,
        people,
        options.connected_fraction,
        options.duration,
        options.think,
        options.seed,
    )
    with view:
        recorder = uvloop.run(run(plan, view.update))
    built = report.build(options.as_json(), people.as_json(), recorder)
    written = report.write(options.out, built, recorder)
    _print_summary(built)
    click.echo(f"report: {written[0]}")


def _population(
    settings: Settings, options: LoadgenOptions, view: LiveView
) -> population.Population:
    """Made or found through the services, on the storage the options name."""

    async def prepare(ctx: ServiceContext) -> population.Population:
        return await population.prepare(
            ctx,
            domain=options.domain,
            people=options.users,
            rooms=options.channels,
            progress=view.note,
        )

    return run_with_services(settings, prepare, create=False)


def _print_summary(built: dict[str, Any]) -> None:
    rows = report.summary_rows(built)
    summary = built["summary"]
    stopped = " (stopped early)" if summary["stopped_early"] else ""
    title = (
        f"backchannel loadgen: {summary['actions']:,} actions in {summary['load_s']:g}s"
        f" ({summary['actions_per_s']:,} /s), {summary['errors']:,} errors, "
        f"{summary['sockets_max']:,} sockets at most{stopped}"
    )
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="left" if column == "action" else "right")
    for row in rows:
        table.add_row(*row.values())
    Console(width=160).print(table)
