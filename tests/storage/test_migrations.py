"""Schemas: created on every database, matching the code, and refused when behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import Settings
from backchannel.errors import SchemaBehind
from backchannel.ops.deployment import migrate_deployment, open_router
from backchannel.router import Main, Shard
from backchannel.storage import migrate
from backchannel.storage.schema import main_metadata, shard_metadata
from tests.conftest import StorageFactory


def _in_schema_py(obj: object, name: str | None, type_: str, *_: object) -> bool:
    """Skip the search index (shard_0004), which schema.py does not describe: SQLite's FTS5
    table with its shadow tables, and PostgreSQL's expression index on messages.text."""
    return not (name or "").startswith(("messages_fts", "ix_messages_text_search"))


def _differences(metadata: object) -> object:
    def compare(sync_conn: Connection) -> list[object]:
        context = MigrationContext.configure(sync_conn, opts={"include_object": _in_schema_py})
        return compare_metadata(context, metadata)  # type: ignore[arg-type]

    return compare


async def test_every_database_is_at_head_and_matches_the_code(deployment: Backchannel) -> None:
    router = deployment.ctx.router
    shard_names = sorted(router.shard_map.current.db_shards)
    assert len(shard_names) == 2
    async with router.read(Main()) as conn:
        assert await conn.run_sync(_differences(main_metadata)) == []
    for name in shard_names:
        async with router.read(Shard(name)) as conn:
            assert await conn.run_sync(_differences(shard_metadata)) == []
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"users", "channels", "messages", "reactions", "pins", "read_markers"} <= tables
        engines = router.pools.engines_for(router.shard_map.current.db_shards[name])
        assert await migrate.current_revision(engines) == migrate.head_revision("shard")


async def test_a_shard_behind_is_refused_until_migrated(make_storage: StorageFactory) -> None:
    storage = make_storage()
    router = await open_router(storage, create=True, now=0.0)
    lagging = router.shard_map.current.db_shards["shard-1"]
    await migrate.downgrade(router.pools.engines_for(lagging), "shard", "-1")
    previous = await migrate.current_revision(router.pools.engines_for(lagging))
    await router.close()
    head = migrate.head_revision("shard")

    with pytest.raises(SchemaBehind) as refused:
        await open_router(storage, create=True, now=0.0)
    assert str(refused.value) == (
        f"shard shard-1 schema is 1 migration(s) behind ({previous} < {head}): "
        "run `backchannel db migrate`"
    )

    steps: list[str] = []
    router = await migrate_deployment(storage, now=0.0, progress=steps.append)
    await router.close()
    assert steps == [f"migrated shard shard-1: {previous} -> {head}"]
    reopened = await open_backchannel(Settings(storage=storage), create=False)
    await reopened.close()


async def test_migrate_on_a_current_deployment_changes_nothing(
    make_storage: StorageFactory,
) -> None:
    storage = make_storage()
    steps: list[str] = []
    router = await migrate_deployment(storage, now=0.0, progress=steps.append)
    await router.close()
    assert steps[0] == f"migrated the main database: empty -> {migrate.head_revision('main')}"
    assert len(steps) == 3  # main and two shards

    again: list[str] = []
    router = await migrate_deployment(storage, now=0.0, progress=again.append)
    await router.close()
    assert again == []
