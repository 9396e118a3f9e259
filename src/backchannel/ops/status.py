"""What `backchannel admin status` shows of a deployment, read from its main DB and its
topology: organisations and workspaces, the shards as `admin shards` describes them, and
every registered edge, live or not (docs/cli.md). What the running processes count is read
from their /metrics by the command itself (docs/metrics.md)."""

from __future__ import annotations

import math
from typing import Any

from backchannel.ops.topology import describe_shards
from backchannel.router import Main
from backchannel.services.context import ServiceContext
from backchannel.services.realtime.edges import LIVE_HEARTBEATS
from backchannel.storage.main import workspaces as store


async def deployment_status(ctx: ServiceContext) -> dict[str, Any]:
    """The shard report of `describe_shards`, with the topology store, the counts of
    organisations and workspaces, and the edges. A shard that is down says so in its entry."""
    shards = await describe_shards(ctx)
    async with ctx.router.read(Main()) as conn:
        organisations = await store.count_orgs_txn(conn)
    return {
        "topology": ctx.router.topology.description,
        "organisations": organisations,
        "workspaces": sum(len(shard["workspaces"]) for shard in shards["db_shards"]),
        **shards,
        "edges": await registered_edges(ctx),
    }


async def registered_edges(ctx: ServiceContext) -> list[dict[str, Any]]:
    """Every edge in the registry, in URL order: live (it beat within LIVE_HEARTBEATS of its
    periods), or stale (killed; its row stays until another edge registers a day later)."""
    topology, now = ctx.router.topology, ctx.clock()
    live = {edge.url for edge in await topology.live_edges(now, LIVE_HEARTBEATS)}
    # Beaten at any time since the dawn of time: every edge still registered.
    every = await topology.live_edges(-math.inf, 0.0)
    return [
        {
            "url": edge.url,
            "ms_shards": None if edge.ms_shards is None else sorted(edge.ms_shards),
            "live": edge.url in live,
            "heartbeat_age_seconds": max(0.0, now - edge.heartbeat),
        }
        for edge in every
    ]
