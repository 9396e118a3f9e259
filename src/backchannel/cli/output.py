"""Printing results: one JSON object with --json, readable lines otherwise."""

from __future__ import annotations

from typing import Any

import click
import orjson


def emit(payload: dict[str, Any], *, as_json: bool, human: str) -> None:
    if as_json:
        click.echo(orjson.dumps(payload).decode())
    else:
        click.echo(human)


def fail(message: str) -> None:
    """One line on stderr; the caller exits non-zero."""
    click.echo(f"backchannel: error: {message}", err=True)
