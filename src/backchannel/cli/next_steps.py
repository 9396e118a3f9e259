"""Commands printed for an operator to run next (docs/cli.md): each one complete, pointing
at the same deployment as the command that printed it, ready to copy into a shell."""

from __future__ import annotations

import shlex

import click
from click.core import ParameterSource

from backchannel.storage.engines.engine import redact

# The storage options that find a deployment again; the others only shape a new one.
_LOCATING = ("config_file", "data_dir", "database_url", "topology")


def deployment_flags() -> str:
    """The options the running command was given on its command line that find its
    deployment (a URL's password shows as ***). Those from the environment are left out: the
    next command, run there too, reads them again."""
    ctx = click.get_current_context()
    flags = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name not in _LOCATING or value is None:
            continue
        if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
            continue
        shown = redact(value) if param.name == "database_url" else str(value)
        flags.append(f"{param.opts[0]} {shlex.quote(shown)}")
    return " ".join(flags)


def next_command(*words: str) -> str:
    """`backchannel WORDS...`, quoted for a shell, with this deployment's options."""
    return " ".join(["backchannel", *map(shlex.quote, words), deployment_flags()]).rstrip()


def set_password_command(workspace: str, email: str) -> str:
    return next_command("admin", "set-password", "--workspace", workspace, "--email", email)


def first_steps(url: str) -> list[str]:
    """What a new deployment needs before anyone can sign in: a workspace, a person in it,
    and their password (asked for, so it stays out of the shell's history)."""
    email = "you@example.com"
    workspace = ("admin", "create-workspace", "--name", "My Team", "--domain", "team")
    person = ("--workspace", "team", "--email", email, "--name", "Your Name", "--admin")
    return [
        "  no workspace yet: make the first one, and yourself in it, in another terminal:",
        f"    {next_command(*workspace)}",
        f"    {next_command('admin', 'create-user', *person)}",
        f"    {set_password_command('team', email)}",
        f"  then open {url}/ in a browser and sign in as {email}",
    ]
