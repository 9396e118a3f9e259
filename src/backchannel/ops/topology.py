"""What operators see of the topology: shards, how each is doing, and the workspaces on each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from backchannel.models import WorkspaceAssignment
from backchannel.ops.shards import shard_status
from backchannel.services.context import ServiceContext
from backchannel.services.tenancy.workspaces import list_workspaces
from backchannel.storage.engines.engine import redact


async def describe_shards(ctx: ServiceContext) -> dict[str, Any]:
    """The shard map with each DB shard's size and replication. A shard that cannot be
    reached says so in its entry (`available`, `error`); the others are described all the
    same. Shards are asked at once, so one that hangs costs its timeout once."""
    shard_map = await ctx.router.shard_map.refresh()
    domains = {w.id: w.domain for w in await list_workspaces(ctx)}
    shards = list(shard_map.db_shards.values())
    statuses = await asyncio.gather(*(shard_status(ctx, shard) for shard in shards))

    def listed(assignments: Iterable[WorkspaceAssignment]) -> list[dict[str, str]]:
        ordered = sorted(assignments, key=lambda a: a.keyspace)
        return [{"id": a.workspace_id, "domain": domains.get(a.workspace_id, "")} for a in ordered]

    assignments = shard_map.by_keyspace.values()
    return {
        "version": shard_map.version,
        "db_shards": [
            {
                "name": shard.name,
                "role": shard.role,
                "url": redact(shard.url),
                "replica_url": None if shard.replica_url is None else redact(shard.replica_url),
                "available": status.error is None,
                **asdict(status),
                "workspaces": listed(shard_map.workspaces_on(shard.name)),
            }
            for shard, status in zip(shards, statuses, strict=True)
        ],
        "ms_shards": [
            {"name": name, "workspaces": listed(a for a in assignments if a.ms_shard == name)}
            for name in shard_map.ms_shards
        ],
    }
