"""`backchannel admin create-app | uninstall-app`: install a Slack app in a workspace from
its manifest, and take it out again (services/apps/installs.py; docs/apps.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.cli.runner import run_with_services
from backchannel.services import ServiceContext
from backchannel.services.apps import delivery, installs
from backchannel.services.tenancy.workspaces import find_workspace


@click.command("create-app")
@click.option("--workspace", required=True, help="The workspace's id (T...) or domain.")
@click.option(
    "--manifest",
    "manifest_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The app's manifest, YAML or JSON, as pasted into Slack's app settings.",
)
@storage_options
@json_option
def create_app(workspace: str, manifest_path: Path, as_json: bool, **storage: Any) -> None:
    """Install a Slack app from its manifest; prints its bot token (xoxb-), app-level token
    (xapp-, for Socket Mode) and signing secret, shown only once."""
    settings = build_settings(**storage)
    text = manifest_path.read_bytes()

    async def work(ctx: ServiceContext) -> installs.Installed:
        return await installs.create_app(ctx, workspace=workspace, manifest=text)

    made = run_with_services(settings, work, create=False)
    app = made.app
    emit(
        {
            "app_id": app.id,
            "bot_user_id": app.bot_user_id,
            "bot_id": app.bot_id,
            "bot_token": made.bot_token,
            "app_token": made.app_token,
            "signing_secret": app.signing_secret,
            "client_id": app.client_id,
            "client_secret": made.client_secret,
        },
        as_json=as_json,
        human=(
            f"installed app {app.name} ({app.id}) in {app.workspace_id}, bot {app.bot_user_id}\n"
            f"SLACK_BOT_TOKEN={made.bot_token}\n"
            f"SLACK_APP_TOKEN={made.app_token}\n"
            f"SLACK_SIGNING_SECRET={app.signing_secret}"
        ),
    )


@click.command("uninstall-app")
@click.argument("app_id")
@storage_options
@json_option
def uninstall_app(app_id: str, as_json: bool, **storage: Any) -> None:
    """Uninstall an app: its tokens are revoked and its connections closed."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> None:
        await installs.uninstall_app(ctx, app_id)

    run_with_services(settings, work, create=False)
    emit({"app_id": app_id}, as_json=as_json, human=f"uninstalled app {app_id}")


@click.command("apps")
@click.option("--workspace", default=None, help="Only this workspace's (T... or domain).")
@storage_options
@json_option
def list_apps(workspace: str | None, as_json: bool, **storage: Any) -> None:
    """The installed apps: how each receives its events, how far behind its deliveries
    are, and why a Request URL was disabled."""
    settings = build_settings(**storage)

    async def work(ctx: ServiceContext) -> list[delivery.AppState]:
        workspace_id = (await find_workspace(ctx, workspace)).id if workspace else None
        return await delivery.app_states(ctx, workspace_id)

    states = run_with_services(settings, work, create=False)
    if as_json:
        emit({"apps": [_state_json(state) for state in states]}, as_json=True, human="")
    else:
        Console(width=160).print(_state_table(states))


def _state_json(state: delivery.AppState) -> dict[str, Any]:
    app = state.app
    return {
        "app_id": app.id,
        "name": app.name,
        "workspace": app.workspace_id,
        "transport": state.transport,
        "request_url": state.request_url,
        "url_verified": app.url_verified is not None,
        "behind": state.behind,
        "disabled": app.delivery_error,
    }


def _state_table(states: list[delivery.AppState]) -> Table:
    table = Table(title="installed apps")
    for column in ("app", "name", "workspace", "transport", "behind", "delivery"):
        table.add_column(column)
    for state in states:
        app = state.app
        if app.delivery_error is not None:
            status = f"disabled: {app.delivery_error}"
        elif state.transport == "events api" and app.url_verified is None:
            status = f"waiting for {state.request_url} to answer the challenge"
        else:
            status = state.request_url or "-"
        behind = "-" if state.behind is None else f"{state.behind:,} events"
        table.add_row(app.id, app.name, app.workspace_id, state.transport, behind, status)
    return table


# Joined to `backchannel admin` (cli/admin.py).
APP_COMMANDS = (create_app, uninstall_app, list_apps)
