from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Processes
from tests.support.postgres import PostgresCluster

PASSWORD = "hunter2-not-shown"


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_args(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """Flags that point the CLI at a new deployment: a data dir, or PostgreSQL URLs."""
    if request.param == "sqlite":
        return ["--data-dir", str(tmp_path / "data"), "--shards", "2"]
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    main = cluster.create_database("main").replace("postgres@", f"postgres:{PASSWORD}@")
    shards = [
        cluster.create_database("shard").replace("postgres@", f"postgres:{PASSWORD}@")
        for _ in range(2)
    ]
    return ["--database-url", main, *[arg for url in shards for arg in ("--shard-url", url)]]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        running.kill_all()
