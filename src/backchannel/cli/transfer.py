"""`backchannel import slack-export` and `backchannel export`: a workspace's history in and
out as a Slack export (docs/slack-export.md).

Both work whether a server runs or not; a running server shows what was imported (its
channels and people at once, its messages when history is read).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit, fail
from backchannel.cli.runner import run_with_services
from backchannel.interop.slack_export.importing import import_slack_export
from backchannel.interop.slack_export.state import KINDS, ImportSummary
from backchannel.interop.slack_export.state import Progress as Tell
from backchannel.interop.slack_export.writing import ExportReport, export_workspace
from backchannel.services import ServiceContext


@click.group("import")
def import_group() -> None:
    """Import another chat system's data into a workspace."""


@import_group.command("slack-export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@storage_options
@json_option
def slack_export(file: Path, workspace: str, as_json: bool, **storage: Any) -> None:
    """Import FILE, a Slack workspace export (.zip), into an existing workspace. Running it
    again imports nothing twice; what cannot be imported is skipped, with the reason. Exit
    status 1 when nothing in FILE could be imported."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> ImportSummary:
        with _progress(quiet=as_json) as tell:
            return await import_slack_export(ctx, file, workspace=workspace, progress=tell)

    summary = run_with_services(settings, work, create=False)
    if as_json:
        emit(summary.as_json(), as_json=True, human="")
    else:
        _print_summary(summary)
    if not summary.usable:
        fail(f"nothing in {file} could be imported ({summary.skipped} skipped)")
        sys.exit(1)


@click.command("export")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The zip to write (replaced if it exists).",
)
@storage_options
@json_option
def export(workspace: str, out: Path, as_json: bool, **storage: Any) -> None:
    """Export a workspace as a Slack export (.zip): users, conversations, and every message
    with its thread, reactions and edits. No passwords or tokens."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> ExportReport:
        with _progress(quiet=as_json) as tell:
            return await export_workspace(ctx, workspace=workspace, out=out, progress=tell)

    report = run_with_services(settings, work, create=False)
    counts = report.counts
    emit(
        asdict(report),
        as_json=as_json,
        human=f"exported {report.workspace_id} to {out} ({report.bytes:,} bytes): "
        f"{counts['users']} users, {counts['channels']} conversations, "
        f"{counts['messages']} messages and {counts['replies']} replies in "
        f"{counts['day files']} day files, {counts['reactions']} reactions",
    )


@contextlib.contextmanager
def _progress(*, quiet: bool) -> Iterator[Tell]:
    """A bar per phase on stderr for a human; nothing with --json."""
    if quiet:
        yield lambda *_: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        tasks: dict[str, TaskID] = {}

        def tell(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield tell


def _print_summary(summary: ImportSummary) -> None:
    table = Table("", "imported", "already present", "skipped", title=f"into {summary.domain}")
    for kind in KINDS:
        tally = summary.tallies[kind]
        table.add_row(kind, str(tally.imported), str(tally.present), str(tally.skipped))
    console = Console()
    console.print(table)
    shown = len(summary.reasons)
    for reason in summary.reasons:
        click.echo(f"skipped {reason.kind}: {reason.where}: {reason.reason}")
    if summary.skipped > shown and shown:
        click.echo(f"... the first {shown} reasons are shown (--json lists the same)")
    for note in summary.notes:
        click.echo(f"note: {note}")
    if summary.more_notes:
        click.echo(f"note: ... and {summary.more_notes} more")
    if summary.tallies["users"].imported:
        click.echo(
            "imported people have no password or token: nobody can sign in as them yet "
            "(give one a password with `backchannel admin set-password`)"
        )
