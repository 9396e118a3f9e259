"""Table statistics for the query planner.

PostgreSQL's autovacuum keeps them itself. SQLite has none until ANALYZE runs: without them
it may walk a workspace's 18,000 conversations to find one person's 40 (17 ms instead of
0.7 ms at 32,000 people). analysis_limit samples each index, so it stays quick on big files.
"""

from __future__ import annotations

from backchannel.storage.engines.connection import Conn

ANALYSIS_LIMIT = 1000  # rows sampled per index


async def refresh_statistics_txn(conn: Conn) -> bool:
    """Refresh the planner's statistics of `conn`'s database; False where the engine keeps
    them itself."""
    if conn.dialect.name != "sqlite":
        return False
    await conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    await conn.exec_driver_sql("ANALYZE")
    return True
