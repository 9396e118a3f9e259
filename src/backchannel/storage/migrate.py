"""Alembic, driven from code: the main DB and every shard each have their own history.

`backchannel db migrate` upgrades them all; `serve` checks them and refuses a database
whose schema is behind. See docs/storage.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from backchannel.storage.engines.connection import Engines
from backchannel.storage.engines.sqlite import SqliteEngines
from backchannel.storage.schema import main_metadata, shard_metadata

Kind = Literal["main", "shard"]
_MIGRATIONS = Path(__file__).parent / "migrations"
_METADATA = {"main": main_metadata, "shard": shard_metadata}


def alembic_config(kind: Kind) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS / kind))
    config.attributes["kind"] = kind
    return config


def head_revision(kind: Kind) -> str:
    head = ScriptDirectory.from_config(alembic_config(kind)).get_current_head()
    assert head is not None, f"no migrations for {kind}"
    return head


def previous_revision(kind: Kind, revision: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(kind))
    down = script.get_revision(revision).down_revision
    return down if isinstance(down, str) or down is None else down[0]


def revision_distance(kind: Kind, current: str | None) -> int:
    """How many migrations separate `current` from head."""
    script = ScriptDirectory.from_config(alembic_config(kind))
    revisions = [rev.revision for rev in script.walk_revisions()]
    if current is None:
        return len(revisions)
    return revisions.index(current) if current in revisions else -1


async def current_revision(engines: Engines) -> str | None:
    async with engines.read() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


async def upgrade(engines: Engines, kind: Kind, target: str = "head") -> None:
    await _run(engines, kind, lambda config: command.upgrade(config, target))


async def downgrade(engines: Engines, kind: Kind, target: str) -> None:
    await _run(engines, kind, lambda config: command.downgrade(config, target))


async def _run(engines: Engines, kind: Kind, action: Any) -> None:
    def in_transaction(sync_conn: Connection) -> None:
        config = alembic_config(kind)
        config.attributes["connection"] = sync_conn
        action(config)

    if isinstance(engines, SqliteEngines):
        await engines.write_without_foreign_keys(in_transaction)
        return
    async with engines.write() as conn:
        await conn.run_sync(in_transaction)


def run_migrations_online(context: Any) -> None:
    """Called by env.py: migrate the connection storage/migrate.py handed over."""
    config = context.config
    context.configure(
        connection=config.attributes["connection"],
        target_metadata=_METADATA[config.attributes["kind"]],
        render_as_batch=True,  # SQLite can only ALTER by copying the table
    )
    with context.begin_transaction():
        context.run_migrations()
