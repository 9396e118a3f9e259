"""`backchannel db migrate` with a shard that cannot be migrated: one line says which and
why, the other shards are migrated all the same, and running it again does the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from backchannel.storage import migrate
from backchannel.storage.engines.engine import create_engines, parse_database_url
from tests.support.cli import assert_one_line_error, run_cli
from tests.support.postgres import PostgresCluster

HEAD = migrate.head_revision("shard")
PREVIOUS = migrate.previous_revision("shard", HEAD)
RUN_AGAIN = "run `backchannel db migrate` again to migrate the rest"


def _revisions(urls: list[str], base_dir: Path, *, downgrade: bool = False) -> list[str | None]:
    """Each database's schema revision, once downgraded by one if asked."""

    async def one(url: str) -> str | None:
        engines = create_engines(parse_database_url(url, base_dir=base_dir))
        try:
            if downgrade:
                await migrate.downgrade(engines, "shard", str(PREVIOUS))
            return await migrate.current_revision(engines)
        finally:
            await engines.dispose()

    async def each() -> list[str | None]:
        return [await one(url) for url in urls]

    return asyncio.run(each())


@pytest.fixture
def lonely() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of its own, for the shard whose server is stopped."""
    cluster = PostgresCluster(durable=True)  # halted at once: it must keep the downgrade
    cluster.start()
    yield cluster
    cluster.stop()


def test_a_stopped_postgresql_shard_is_migrated_by_the_next_run(
    postgres: PostgresCluster, lonely: PostgresCluster, tmp_path: Path
) -> None:
    shards = [postgres.create_database("shard"), lonely.create_database("shard")]
    args = ["--database-url", postgres.create_database("main")]
    args += [arg for url in shards for arg in ("--shard-url", url)]
    assert run_cli("db", "migrate", *args).returncode == 0
    assert _revisions(shards, tmp_path, downgrade=True) == [PREVIOUS, PREVIOUS]

    lonely.halt()
    failed = run_cli("db", "migrate", *args)
    line = assert_one_line_error(failed, "cannot open shard shard-1", RUN_AGAIN)
    assert "1 of 2 shard(s) are at the newest schema" in line
    assert failed.stdout.splitlines() == [f"migrated shard shard-0: {PREVIOUS} -> {HEAD}"]
    lonely.resume()
    assert _revisions(shards, tmp_path) == [HEAD, PREVIOUS]  # shard-1 untouched

    again = run_cli("db", "migrate", *args)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"migrated shard shard-1: {PREVIOUS} -> {HEAD}",
        "main DB and 2 shard(s) are at the newest schema",
    ]
    assert _revisions(shards, tmp_path) == [HEAD, HEAD]


def test_a_missing_sqlite_shard_file_is_migrated_once_restored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    args = ["--data-dir", str(data)]
    assert run_cli("db", "migrate", *args, "--shards", "3").returncode == 0
    shards = [f"sqlite:///shard-{n}.sqlite3" for n in range(3)]
    assert _revisions(shards, data, downgrade=True) == [PREVIOUS] * 3
    (data / "shard-1.sqlite3").rename(tmp_path / "unmounted.sqlite3")

    failed = run_cli("db", "migrate", *args)
    line = assert_one_line_error(failed, "shard shard-1's file", "is missing", RUN_AGAIN)
    assert "2 of 3 shard(s) are at the newest schema" in line
    assert "migrated shard shard-2" in failed.stdout  # the shard after it was done all the same
    assert not (data / "shard-1.sqlite3").exists()

    (tmp_path / "unmounted.sqlite3").rename(data / "shard-1.sqlite3")
    again = run_cli("db", "migrate", "--json", *args)
    assert again.returncode == 0, again.stderr
    assert f"migrated shard shard-1: {PREVIOUS} -> {HEAD}" in again.stdout
    assert "shard-0" not in again.stdout and "shard-2" not in again.stdout
    assert _revisions(shards, data) == [HEAD] * 3
