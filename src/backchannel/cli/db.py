"""`backchannel db ...`: schema migrations on the main DB and every shard."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import click

from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.ops.deployment import migrate_deployment
from backchannel.storage import migrate


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("migrate")
@storage_options
@json_option
def migrate_command(as_json: bool, **storage: Any) -> None:
    """Bring the main DB and every shard to the newest schema (creating a new deployment).

    A shard that fails does not stop the others; running it again does what is left."""
    settings = build_settings(**storage)
    steps: list[str] = []

    def progress(line: str) -> None:
        steps.append(line)
        if not as_json:
            click.echo(line)

    async def run() -> int:
        router = await migrate_deployment(settings.storage, now=time.time(), progress=progress)
        try:
            return len(router.shard_map.current.db_shards)
        finally:
            await router.close()

    shard_count = asyncio.run(run())
    emit(
        {
            "migrated": steps,
            "shards": shard_count,
            "main": migrate.head_revision("main"),
            "shard": migrate.head_revision("shard"),
        },
        as_json=as_json,
        human=f"main DB and {shard_count} shard(s) are at the newest schema",
    )
