"""Main DB: the edge processes, their message-server shards and heartbeats (docs/edge-cache.md,
Routing). services/realtime/edges.py decides who is live and who owns which workspace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update

from backchannel.models import EdgeInfo
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import edges


def edge_record(edge: EdgeInfo) -> dict[str, Any]:
    """An edge's values beside its URL, as both topology stores keep them (a row here, a
    JSON value in etcd)."""
    return {
        "ms_shards": None if edge.ms_shards is None else sorted(edge.ms_shards),
        "started": edge.started,
        "heartbeat": edge.heartbeat,
        "heartbeat_seconds": edge.heartbeat_seconds,
    }


def edge_from_record(url: str, record: Mapping[Any, Any]) -> EdgeInfo:
    shards = record["ms_shards"]
    return EdgeInfo(
        url=url,
        ms_shards=None if shards is None else frozenset(shards),
        started=record["started"],
        heartbeat=record["heartbeat"],
        heartbeat_seconds=record["heartbeat_seconds"],
    )


async def put_edge_txn(conn: Conn, edge: EdgeInfo) -> None:
    """Record the edge as it is now, under its URL (an edge restarted there replaces it)."""
    values = edge_record(edge)
    updated = await conn.execute(update(edges).where(edges.c.url == edge.url).values(values))
    if not updated.rowcount:
        await conn.execute(insert(edges).values(url=edge.url, **values))


async def delete_edge_txn(conn: Conn, url: str, started: float) -> None:
    """Forget the edge, unless an edge restarted at its URL has taken its place."""
    await conn.execute(delete(edges).where(edges.c.url == url, edges.c.started == started))


async def forget_edges_txn(conn: Conn, silent_since: float) -> None:
    """Forget the edges that have not beaten since then (killed ones never unregister)."""
    await conn.execute(delete(edges).where(edges.c.heartbeat < silent_since))


async def live_edges_txn(conn: Conn, now: float, heartbeats: float) -> list[EdgeInfo]:
    """The edges whose last heartbeat is younger than `heartbeats` of their own periods,
    in URL order."""
    rows = await conn.execute(
        select(edges)
        .where(edges.c.heartbeat + edges.c.heartbeat_seconds * heartbeats > now)
        .order_by(edges.c.url)
    )
    return [edge_from_record(row.url, row._mapping) for row in rows]
