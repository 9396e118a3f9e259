"""What operators see of the topology: shards and the workspaces on each."""

from __future__ import annotations

from typing import Any

from backchannel.services.context import ServiceContext
from backchannel.services.workspaces import list_workspaces
from backchannel.storage.engine import redact


async def describe_shards(ctx: ServiceContext) -> dict[str, Any]:
    shard_map = await ctx.router.shard_map.refresh()
    spaces = await list_workspaces(ctx)

    placed = {a.workspace_id: a for a in shard_map.by_keyspace.values()}

    def on(attribute: str, name: str) -> list[dict[str, str]]:
        return [
            {"id": w.id, "domain": w.domain}
            for w in spaces
            if w.id in placed and getattr(placed[w.id], attribute) == name
        ]

    return {
        "version": shard_map.version,
        "db_shards": [
            {
                "name": shard.name,
                "role": shard.role,
                "url": redact(shard.url),
                "workspaces": on("db_shard", shard.name),
            }
            for shard in shard_map.db_shards.values()
        ],
        "ms_shards": [
            {"name": name, "workspaces": on("ms_shard", name)} for name in shard_map.ms_shards
        ],
    }
