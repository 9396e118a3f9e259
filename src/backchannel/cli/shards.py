"""`backchannel admin shards | add-shard | set-replica | failover | move-workspace`: the DB
shards of a deployment, listed, added, given a replica and failed over, and workspaces moved
between them while in use (ops/shards.py, ops/failover.py, ops/moves.py; docs/router.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.cli.runner import run_with_services
from backchannel.cli.shard_tables import read_deployment, shard_errors, shard_tables
from backchannel.models import DbShard
from backchannel.ops import failover as failover_service
from backchannel.ops import moves
from backchannel.ops import shards as shard_service
from backchannel.ops.topology import describe_shards
from backchannel.services import ServiceContext
from backchannel.storage.engines.engine import redact


@click.command("shards")
@storage_options
@json_option
def shards(as_json: bool, **storage: Any) -> None:
    """List the shards: role, size, replication, workspaces. A shard that is down is listed
    as unavailable (exit status 0)."""
    report = asyncio.run(read_deployment(build_settings(**storage).storage, describe_shards))
    if as_json:
        emit(report, as_json=True, human="")
        return
    Console().print(*shard_tables(report))
    for error in shard_errors(report):
        click.echo(error)


@click.command("add-shard")
@click.argument("url")
@click.option("--name", default=None, help="Its name (default: the next shard-N).")
@storage_options
@json_option
def add_shard(url: str, name: str | None, as_json: bool, **storage: Any) -> None:
    """Add a DB shard: an empty database, brought to the newest schema. New workspaces may
    then be placed on it."""
    settings = build_settings(**storage)
    progress = None if as_json else click.echo

    async def work(ctx: ServiceContext) -> DbShard:
        return await shard_service.add_shard(
            ctx, settings.storage, url, name=name, progress=progress
        )

    added = run_with_services(settings, work, create=False)
    shown = redact(added.url)
    emit(
        {"name": added.name, "url": shown},
        as_json=as_json,
        human=f"added shard {added.name} ({shown}): new workspaces may be placed on it",
    )


@click.command("set-replica")
@click.argument("shard")
@click.argument("url")
@storage_options
@json_option
def set_replica(shard: str, url: str, as_json: bool, **storage: Any) -> None:
    """Record URL, a PostgreSQL streaming replica of SHARD's server, as its replica (checked
    first): `admin failover` promotes it."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> DbShard:
        return await failover_service.set_replica(ctx, shard, url)

    recorded = run_with_services(settings, work, create=False)
    shown = redact(url)
    emit(
        {"name": recorded.name, "replica_url": shown},
        as_json=as_json,
        human=f"shard {recorded.name} has replica {shown}",
    )


@click.command("failover")
@click.argument("shard")
@storage_options
@json_option
def failover(shard: str, as_json: bool, **storage: Any) -> None:
    """Promote SHARD's replica to be its primary, and switch the shard map to it (every
    running process follows within a second)."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> failover_service.FailedOver:
        return await failover_service.failover(ctx, shard)

    done = run_with_services(settings, work, create=False)
    shown = redact(done.shard.url)
    old = "was made read-only" if done.fenced else "could not be reached"
    emit(
        {"name": shard, "url": shown, "version": done.version, "old_primary_fenced": done.fenced},
        as_json=as_json,
        human=f"shard {shard} now runs on its promoted replica {shown} (shard map version "
        f"{done.version}); the old primary {old}",
    )


@click.command("move-workspace")
@click.argument("workspaces", nargs=-1, required=True)
@click.option("--to", "target", required=True, help="The DB shard to move them to.")
@click.option(
    "--grace",
    type=click.FloatRange(min=0.0),
    default=moves.GRACE_SECONDS,
    show_default=True,
    help="Seconds to let every process see the freeze (and the switch) before going on.",
)
@click.option(
    "--restart",
    is_flag=True,
    help="A move of these was interrupted (its process is gone): start it again.",
)
@storage_options
@json_option
def move_workspace(
    workspaces: tuple[str, ...],
    target: str,
    grace: float,
    restart: bool,
    as_json: bool,
    **storage: Any,
) -> None:
    """Move workspaces (T... or domain), with the channels whose home they are, to another
    DB shard while they are in use: copy, catch up in a brief write freeze, switch, verify,
    clean up."""
    settings = build_settings(**storage)
    console = Console(stderr=True)

    async def work(ctx: ServiceContext) -> list[moves.MoveReport]:
        done = []
        for workspace in workspaces:
            with _move_progress(console, workspace, quiet=as_json) as progress:
                done.append(
                    await moves.move_workspace(
                        ctx, workspace, target, progress=progress, grace=grace, restart=restart
                    )
                )
        return done

    reports = run_with_services(settings, work, create=False)
    emit(
        {"moved": [asdict(report) for report in reports]},
        as_json=as_json,
        human="\n".join(_moved_line(report) for report in reports),
    )


@contextlib.contextmanager
def _move_progress(console: Console, workspace: str, *, quiet: bool) -> Iterator[moves.Progress]:
    """A progress bar per phase for a human; nothing with --json."""
    if quiet:
        yield lambda *_: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{workspace}: {phase}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield progress


def _moved_line(report: moves.MoveReport) -> str:
    line = (
        f"moved {report.workspace_id} from {report.source} to {report.target}: "
        f"{sum(report.rows.values()):,} rows verified, {report.caught_up:,} caught up in a "
        f"{report.frozen_seconds:.2f} s write freeze, {report.seconds:.1f} s in all"
    )
    if report.late_tables:
        return (
            f"{line}\nwarning: the old copy on {report.source} changed after the freeze "
            f"({', '.join(report.late_tables)}); it was kept: compare it with the new one"
        )
    return line


# Joined to `backchannel admin` (cli/admin.py).
SHARD_COMMANDS = (shards, add_shard, set_replica, failover, move_workspace)
