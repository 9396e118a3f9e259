"""`backchannel admin ...`: create organisations, workspaces, people and bots; list and add
shards; a deployment's status (cli/status.py).

Works whether a server runs or not: every command goes straight to the databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
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

from backchannel.cli.next_steps import set_password_command
from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.cli.runner import run_with_services
from backchannel.cli.shard_tables import read_deployment, shard_errors, shard_tables
from backchannel.cli.status import status
from backchannel.errors import InvalidArgument
from backchannel.models import DbShard
from backchannel.ops import failover as failover_service
from backchannel.ops import moves
from backchannel.ops import shards as shard_service
from backchannel.ops.topology import describe_shards
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.messaging import webhooks
from backchannel.services.people import users
from backchannel.services.tenancy import organisations, teams, workspaces
from backchannel.storage.engines.engine import redact


@click.group()
def admin() -> None:
    """Administer a deployment (server running or not)."""


admin.add_command(status)


@admin.command("create-org")
@click.option("--name", required=True, help="The organisation's name.")
@storage_options
@json_option
def create_org(name: str, as_json: bool, **storage: Any) -> None:
    """Create an organisation (E...)."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> Any:
        return await workspaces.create_org(ctx, name=name)

    org = run_with_services(settings, work, create=True)
    emit({"id": org.id}, as_json=as_json, human=f"created organisation {org.name} ({org.id})")


@admin.command("create-workspace")
@click.option("--name", required=True, help="The workspace's name, e.g. 'Acme HQ'.")
@click.option("--domain", required=True, help="Its unique short name, e.g. 'acme'.")
@click.option("--org", "org_id", default=None, help="The organisation (E...) it belongs to.")
@storage_options
@json_option
def create_workspace(
    name: str, domain: str, org_id: str | None, as_json: bool, **storage: Any
) -> None:
    """Create a workspace (T...) on the least-loaded shards."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> Any:
        made = await teams.create_org_workspace(ctx, name=name, domain=domain, org_id=org_id)
        return made, await ctx.router.assignment(made.id)

    made, placed = run_with_services(settings, work, create=True)
    emit(
        {"id": made.id, "db_shard": placed.db_shard, "ms_shard": placed.ms_shard},
        as_json=as_json,
        human=f"created workspace {made.domain} ({made.id}) on {placed.db_shard} and "
        f"{placed.ms_shard}",
    )


@admin.command("create-user")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option("--email", required=True)
@click.option("--name", required=True, help="The person's full name.")
@click.option("--password", default=None, help="Lets the person sign in (8+ characters).")
@click.option("--admin", "is_admin", is_flag=True, help="Make the person a workspace admin.")
@storage_options
@json_option
def create_user(
    workspace: str,
    email: str,
    name: str,
    password: str | None,
    is_admin: bool,
    as_json: bool,
    **storage: Any,
) -> None:
    """Create a person (U...) with a user token (xoxp-...)."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> Any:
        return await users.create_user(
            ctx, workspace=workspace, email=email, name=name, password=password, admin=is_admin
        )

    made = run_with_services(settings, work, create=False)
    human = f"created user @{made.user.name} ({made.user.id})\ntoken: {made.token}"
    result = {"id": made.user.id, "token": made.token, "can_sign_in": password is not None}
    if password is None:  # the token works at once, but signing in takes a password
        result["set_password"] = setting = set_password_command(workspace, email)
        human += f"\nno password yet: @{made.user.name} cannot sign in until you give them one with"
        human += f"\n  {setting}"
    emit(result, as_json=as_json, human=human)


@admin.command("set-password")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option("--email", required=True, help="The email the person signs in with.")
@click.option(
    "--password",
    default=None,
    help="The new password (8+ characters); when not given, asked for twice on a terminal, "
    "or the first line of stdin.",
)
@storage_options
@json_option
def set_password(
    workspace: str, email: str, password: str | None, as_json: bool, **storage: Any
) -> None:
    """Give a person a password to sign in with (someone an import brought in has none)."""
    settings = build_settings(**storage)
    if password is None:
        password = _ask_password()

    async def work(ctx: ServiceContext) -> str:
        return await auth.set_password(ctx, workspace=workspace, email=email, password=password)

    user_id = run_with_services(settings, work, create=False)
    emit({"id": user_id}, as_json=as_json, human=f"set the password of {email} ({user_id})")


def _ask_password() -> str:
    """Twice, hidden, on a terminal; else the first line of stdin (a pipe, a file), once:
    there is no one to confirm it."""
    if sys.stdin is not None and sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise InvalidArgument("no password on stdin: give --password, or one line on stdin")
    return line.removesuffix("\n").removesuffix("\r")


@admin.command("create-bot")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option("--name", required=True, help="The bot's name.")
@storage_options
@json_option
def create_bot(workspace: str, name: str, as_json: bool, **storage: Any) -> None:
    """Create a bot (U... and B...) with a bot token (xoxb-...)."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> Any:
        return await users.create_bot(ctx, workspace=workspace, name=name)

    made = run_with_services(settings, work, create=False)
    emit(
        {"id": made.user.id, "bot_id": made.bot.id, "token": made.token},
        as_json=as_json,
        human=f"created bot @{made.user.name} ({made.user.id}, {made.bot.id})\ntoken: {made.token}",
    )


@admin.command("org-admin")
@click.option("--org", "org_id", required=True, help="The organisation (E...).")
@click.option("--user", "user_id", required=True, help="A person (U...) with a seat in it.")
@storage_options
@json_option
def org_admin(org_id: str, user_id: str, as_json: bool, **storage: Any) -> None:
    """Make a person an organisation admin: admin.teams.* and admin.users.* then work for them."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> Any:
        await organisations.make_org_admin(ctx, org_id=org_id, user_id=user_id)

    run_with_services(settings, work, create=False)
    emit(
        {"org": org_id, "admin": user_id},
        as_json=as_json,
        human=f"{user_id} now administers {org_id}",
    )


@admin.command("create-webhook")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option("--channel", required=True, help="The channel it posts to: C.../G... or #name.")
@click.option("--name", default=webhooks.DEFAULT_NAME, show_default=True, help="Its bot's name.")
@click.option(
    "--url",
    "public_url",
    default=None,
    help="The server's public base URL (default: [server] public_url, else host and port).",
)
@storage_options
@json_option
def create_webhook(
    workspace: str, channel: str, name: str, public_url: str | None, as_json: bool, **storage: Any
) -> None:
    """Create an incoming webhook; prints its secret URL (shown only once)."""
    settings = build_settings(**storage, public_url=public_url)

    async def work(ctx: ServiceContext) -> Any:
        return await webhooks.create_webhook(ctx, workspace=workspace, channel=channel, name=name)

    made = run_with_services(settings, work, create=False)
    url = made.url(settings.server.base_url)
    emit(
        {"id": made.webhook.id, "url": url, "channel": made.channel.id},
        as_json=as_json,
        human=f"created webhook {made.webhook.id} posting to #{made.channel.name}\nurl: {url}",
    )


@admin.command("revoke-webhook")
@click.option("--id", "webhook_id", required=True, help="The webhook's id (B...).")
@storage_options
@json_option
def revoke_webhook(webhook_id: str, as_json: bool, **storage: Any) -> None:
    """Turn an incoming webhook's URL off for good."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> None:
        await webhooks.revoke_webhook(ctx, webhook_id=webhook_id)

    run_with_services(settings, work, create=False)
    emit({"id": webhook_id}, as_json=as_json, human=f"revoked webhook {webhook_id}")


@admin.command("shards")
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


@admin.command("add-shard")
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


@admin.command("set-replica")
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


@admin.command("failover")
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


@admin.command("move-workspace")
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
