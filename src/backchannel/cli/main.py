"""Entry point of the `backchannel` command."""

from __future__ import annotations

import importlib
import os
import sys

import click

from backchannel import __version__
from backchannel.cli.output import fail
from backchannel.errors import BackchannelError, ConfigError

# Each command's module, imported only when the command runs (or --help lists it): every
# `backchannel admin ...` would otherwise load the benchmarks, the load generator and the
# Slack export code first, a fifth of its start-up.
COMMANDS = {
    "serve": "backchannel.cli.serve:serve",
    "db": "backchannel.cli.db:db",
    "admin": "backchannel.cli.admin:admin",
    "bench": "backchannel_tools.bench.cli:bench",
    "loadgen": "backchannel_tools.loadgen.cli:loadgen",
    "import": "backchannel.cli.transfer:import_group",
    "export": "backchannel.cli.transfer:export",
}
# The tools' commands (src/backchannel_tools/): their dependencies are an extra.
TOOLS = ("bench", "loadgen")
INSTALL_TOOLS = "pip install 'backchannel[tools]'"


class Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _, attribute = COMMANDS[name].partition(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except ModuleNotFoundError as exc:
            if name not in TOOLS or (exc.name or "").startswith("backchannel"):
                raise
            return _tool_not_installed(name, missing=exc.name or "a module")
        assert isinstance(command, click.Command)
        return command


def _tool_not_installed(name: str, missing: str) -> click.Command:
    """A stand-in for a tool's command whose dependencies are not installed: listed by
    --help, and whatever it is given, one line saying what to install."""

    def refuse(args: tuple[str, ...]) -> None:
        raise ConfigError(
            f"`backchannel {name}` needs the tools' dependencies ({missing} is not "
            f"installed): {INSTALL_TOOLS}"
        )

    return click.Command(
        name,
        callback=refuse,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
        short_help=f"(not installed: {INSTALL_TOOLS})",
    )


@click.group(cls=Commands)
@click.version_option(__version__, prog_name="backchannel")
def cli() -> None:
    """Backchannel: a self-hosted team chat server that speaks Slack's protocol."""


def main() -> None:
    """Run the CLI: a failure is one line on stderr and a non-zero exit, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BackchannelError as exc:
        fail(exc.message)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("BACKCHANNEL_DEBUG"):
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (set BACKCHANNEL_DEBUG=1 for details)")
        sys.exit(2)


if __name__ == "__main__":
    main()
