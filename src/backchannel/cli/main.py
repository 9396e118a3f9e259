"""Entry point of the `backchannel` command."""

from __future__ import annotations

import os
import sys

import click

from backchannel import __version__
from backchannel.cli.admin import admin
from backchannel.cli.bench import bench
from backchannel.cli.db import db
from backchannel.cli.loadgen import loadgen
from backchannel.cli.output import fail
from backchannel.cli.serve import serve
from backchannel.cli.transfer import export, import_group
from backchannel.errors import BackchannelError


@click.group()
@click.version_option(__version__, prog_name="backchannel")
def cli() -> None:
    """Backchannel: a self-hosted team chat server that speaks Slack's protocol."""


cli.add_command(serve)
cli.add_command(db)
cli.add_command(admin)
cli.add_command(bench)
cli.add_command(loadgen)
cli.add_command(import_group)
cli.add_command(export)


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
