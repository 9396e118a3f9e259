"""The SQLite writer: group commit, one writer's failure kept to itself, acks only on disk."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backchannel.storage.engines.engine import create_engines, parse_database_url
from backchannel.storage.engines.sqlite import SqliteEngines


@pytest.fixture
async def database(tmp_path: Path) -> SqliteEngines:
    engines = create_engines(parse_database_url(f"sqlite:///{tmp_path / 'w.sqlite3'}"))
    assert isinstance(engines, SqliteEngines)
    async with engines.write() as conn:
        await conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return engines


async def _insert(database: SqliteEngines, number: int, *, fail: bool = False) -> int:
    async with database.write() as conn:
        await conn.execute(text("INSERT INTO notes (id, body) VALUES (:i, 'x')"), {"i": number})
        await asyncio.sleep(0)  # let other writers queue up behind this one
        if fail:
            raise RuntimeError(f"writer {number} fails")
    # Acknowledged: another connection (another process, say) must see it now.
    with closing(sqlite3.connect(str(database.url.database))) as other:
        seen = other.execute("SELECT count(*) FROM notes WHERE id = ?", (number,)).fetchone()
    return int(seen[0])


async def test_concurrent_writers_share_commits_and_acks_mean_on_disk(
    database: SqliteEngines,
) -> None:
    commits_before = database.commits
    seen = await asyncio.gather(*(_insert(database, n) for n in range(40)))
    assert seen == [1] * 40
    assert database.writes == 40 + 1  # and the CREATE TABLE
    assert database.commits - commits_before < 40
    await database.dispose()


async def test_a_failing_writer_undoes_only_its_own_work(database: SqliteEngines) -> None:
    results = await asyncio.gather(
        *(_insert(database, n, fail=n % 3 == 0) for n in range(12)), return_exceptions=True
    )
    failed = [n for n, r in enumerate(results) if isinstance(r, RuntimeError)]
    assert failed == [0, 3, 6, 9]
    async with database.read() as conn:
        kept = (await conn.execute(text("SELECT id FROM notes ORDER BY id"))).scalars().all()
    assert kept == [n for n in range(12) if n % 3]
    await database.dispose()


async def test_a_cancelled_waiter_does_not_strand_the_batch(database: SqliteEngines) -> None:
    async def slow_writer() -> None:
        async with database.write() as conn:
            await conn.execute(text("INSERT INTO notes (id, body) VALUES (100, 'x')"))
            await asyncio.sleep(0.05)

    first = asyncio.create_task(slow_writer())
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(_insert(database, 101))
    await asyncio.sleep(0.01)
    waiter.cancel()  # gives up while queued: the first writer's batch must still commit
    await asyncio.wait_for(first, 10)
    with pytest.raises(asyncio.CancelledError):
        await waiter
    async with database.read() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM notes WHERE id = 100"))) == 1
    await database.dispose()


async def test_a_reader_that_cannot_open_the_file_gives_its_slot_back(tmp_path: Path) -> None:
    folder = tmp_path / "not yet"
    url = parse_database_url(f"sqlite:///{folder / 'r.sqlite3'}")
    engines = create_engines(url, pool_size=1, pool_timeout=0.1)
    for _ in range(2):  # the second needs the first one's slot back
        with pytest.raises(OperationalError):
            async with engines.read():
                pass
    folder.mkdir()
    async with engines.read() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
    await engines.dispose()
