"""`backchannel admin ...`: create organisations, workspaces, people, bots and webhooks; the
shard operations (cli/shards.py), apps (cli/apps.py) and a deployment's status
(cli/status.py) join the group.

Works whether a server runs or not: every command goes straight to the databases.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from backchannel.cli.apps import APP_COMMANDS
from backchannel.cli.next_steps import set_password_command
from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.cli.runner import run_with_services
from backchannel.cli.shards import SHARD_COMMANDS
from backchannel.cli.status import status
from backchannel.errors import InvalidArgument
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.messaging import webhooks
from backchannel.services.people import users
from backchannel.services.tenancy import organisations, teams, workspaces


@click.group()
def admin() -> None:
    """Administer a deployment (server running or not)."""


admin.add_command(status)
for _command in (*SHARD_COMMANDS, *APP_COMMANDS):
    admin.add_command(_command)


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
