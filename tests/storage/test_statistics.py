"""The query planner's statistics (storage/engines/statistics.py): SQLite gets them when `serve`
starts; PostgreSQL keeps its own."""

from __future__ import annotations

from backchannel.app import Backchannel
from backchannel.ops.deployment import refresh_statistics
from backchannel.router import ShardFor
from tests.conftest import SHARDS, Acme


async def test_sqlite_databases_get_statistics_for_the_planner(
    deployment: Backchannel, acme: Acme, backend: str
) -> None:
    refreshed = await refresh_statistics(deployment.ctx.router)
    if backend != "sqlite":
        assert refreshed == 0  # autovacuum analyses PostgreSQL's tables itself
        return
    assert refreshed == 1 + SHARDS  # the main DB and every shard
    async with deployment.ctx.router.read(ShardFor(acme.workspace.id)) as conn:
        rows = await conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")
        analysed = {str(row[0]) for row in rows}
    assert {"users", "memberships", "channels"} <= analysed
