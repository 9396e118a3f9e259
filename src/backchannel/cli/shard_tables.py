"""What `admin shards` and `admin status` both print of the shards: a DB shard table and a
message-server shard table, from `services.topology.describe_shards`'s report (docs/cli.md)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rich.table import Table

from backchannel.config import StorageSettings
from backchannel.ops.deployment import open_router
from backchannel.services import ServiceContext

T = TypeVar("T")


async def read_deployment(
    storage: StorageSettings, work: Callable[[ServiceContext], Awaitable[T]]
) -> T:
    """`work` on the deployment, opened without checking the shards, so that one that is
    down is shown, not fatal."""
    router = await open_router(storage, create=False, now=time.time(), check_shards=False)
    try:
        return await work(ServiceContext(router))
    finally:
        await router.close()


def shard_tables(report: dict[str, Any]) -> tuple[Table, Table]:
    db_table = Table(title=f"shard map version {report['version']}: DB shards")
    for column in ("shard", "role", "url", "replica", "size", "replication", "workspaces"):
        # A URL folds onto more lines rather than lose its end; the short columns stay whole.
        folds = column in ("url", "replica", "workspaces")
        db_table.add_column(column, overflow="fold", no_wrap=not folds)
    for s in report["db_shards"]:
        size = "unavailable" if s["error"] else size_text(s["size_bytes"])
        replica = s["replica_url"] or "-"
        db_table.add_row(
            s["name"], s["role"], s["url"], replica, size, _replication(s), _domains(s)
        )
    ms_table = Table("shard", "workspaces", title="message-server shards")
    for s in report["ms_shards"]:
        ms_table.add_row(s["name"], _domains(s))
    return db_table, ms_table


def shard_errors(report: dict[str, Any]) -> list[str]:
    """Why each shard that could not be read could not be."""
    return [s["error"] for s in report["db_shards"] if s["error"]]


def _domains(shard: dict[str, Any]) -> str:
    return ", ".join(w["domain"] for w in shard["workspaces"]) or "-"


def size_text(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def _replication(shard: dict[str, Any]) -> str:
    """How far behind its replicas are; whether the one it names streams at all."""
    replication = shard["replication"]
    if replication is None:
        return "not streaming" if shard["replica_url"] and not shard["error"] else "-"
    lag_bytes, seconds = replication["lag_bytes"], replication["lag_seconds"]
    behind = "?" if lag_bytes is None else size_text(lag_bytes)
    late = "" if seconds is None else f", {seconds:.1f} s"
    return f"{replication['replicas']} streaming, {behind} behind{late}"
