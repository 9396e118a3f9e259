"""Edges: which live edge owns each workspace, and the websocket URL a client is sent to
(docs/edge-cache.md, Routing; docs/realtime.md, Tickets).

An edge registers in the topology store (router/topology.py) at start (its URL, the
message-server shards it serves), heartbeats every few seconds and unregisters when it
stops. It is live while its last heartbeat is younger than LIVE_HEARTBEATS of its own
heartbeat periods. The owner of a workspace is chosen by rendezvous (highest random
weight) hashing over the live edges serving the workspace's message-server shard: when an
edge comes or goes, only the workspaces it gains or loses move. Every process (webapps,
edges) computes the owner with `owner` over its own view of the live edges
(services/realtime/edge_view.py), read at most about once a second: the webapp to route rtm.connect
and rtm.start, the edge to admit tickets and let go of the workspaces it no longer owns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import replace
from urllib.parse import urlencode, urlsplit

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import EdgeInfo, TokenInfo
from backchannel.services.context import ServiceContext
from backchannel.services.realtime.tickets import issue_ticket
from backchannel.services.tenancy.assignments import check_not_moving

SCHEMES = ("ws", "wss")
LIVE_HEARTBEATS = 5  # an edge silent for this many of its heartbeat periods is not live
FORGET_AFTER_SECONDS = 24 * 3600.0  # a killed edge's row goes when an edge next registers


class NoEdge(BackchannelError):
    """No live edge serves the workspace's message-server shard: no socket to give."""

    slack_error = "service_unavailable"


def check_edge_url(url: str) -> str:
    """A websocket base URL such as ws://127.0.0.1:8001 (rtm.connect appends ?ticket=...)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise InvalidArgument(f"expected an edge URL like ws://host:port, got {url!r}")
    if parts.query or parts.fragment:
        raise InvalidArgument(f"an edge URL takes no query or fragment, got {url!r}")
    return parts.geturl()


def _check_names(ms_shards: Collection[str]) -> frozenset[str]:
    names = frozenset(name.strip() for name in ms_shards if name.strip())
    if not names:
        raise InvalidArgument("name at least one message-server shard for the edge to serve")
    return names


# -- the registry ---------------------------------------------------------------------------


async def register_edge(
    ctx: ServiceContext,
    ms_shards: Collection[str] | None,
    url: str,
    *,
    heartbeat_seconds: float,
) -> EdgeInfo:
    """Record the edge at `url` as live, serving these message-server shards (None: all of
    them, those added later too), heartbeating every `heartbeat_seconds`."""
    url = check_edge_url(url)
    names = None if ms_shards is None else _check_names(ms_shards)
    now = ctx.clock()
    edge = EdgeInfo(url, names, started=now, heartbeat=now, heartbeat_seconds=heartbeat_seconds)
    known = set((await ctx.router.shard_map.refresh()).ms_shards)
    unknown = sorted((names or set()) - known)
    if unknown:
        raise NotFound(
            f"no message-server shard named {', '.join(unknown)}; "
            f"this deployment has {', '.join(sorted(known)) or 'none'}"
        )
    registry = ctx.router.topology
    await registry.forget_edges(silent_since=now - FORGET_AFTER_SECONDS)
    await registry.put_edge(edge)
    ctx.edges.expire()
    return edge


async def heartbeat(ctx: ServiceContext, edge: EdgeInfo) -> None:
    """The edge is alive now (recorded again if its row went meanwhile)."""
    await ctx.router.topology.put_edge(replace(edge, heartbeat=ctx.clock()))


async def unregister_edge(ctx: ServiceContext, edge: EdgeInfo) -> None:
    """The edge is stopping: its workspaces move to the other live edges at once."""
    await ctx.router.topology.delete_edge(edge.url, edge.started)
    ctx.edges.expire()


async def live_edges(ctx: ServiceContext) -> tuple[EdgeInfo, ...]:
    """The live edges as this process sees them, read again when its view is a second old."""
    view = ctx.edges
    if view.fresh(ctx.clock()):
        return view.live
    async with view.lock:
        now = ctx.clock()
        if not view.fresh(now):  # unless the task we waited for has just read it
            live = await ctx.router.topology.live_edges(now, LIVE_HEARTBEATS)
            view.put(tuple(live), now)
    return view.live


# -- ownership ------------------------------------------------------------------------------


def _weight(workspace_id: str, url: str) -> int:
    # A stable hash, the same in every process (Python's hash() of a str is salted).
    digest = hashlib.blake2b(f"{workspace_id} {url}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def choose_owner(workspace_id: str, ms_shard: str, edges: Iterable[EdgeInfo]) -> EdgeInfo | None:
    """Rendezvous hashing: of the edges serving `ms_shard`, the one with the highest weight
    for this workspace (ties, which a 64-bit hash makes unlikely, go to the greater URL)."""
    serving = [edge for edge in edges if edge.serves(ms_shard)]
    return max(serving, key=lambda edge: (_weight(workspace_id, edge.url), edge.url), default=None)


async def owner(ctx: ServiceContext, workspace_id: str) -> EdgeInfo | None:
    """The live edge that owns the workspace, as this process sees the edges now."""
    ms_shard = (await ctx.router.assignment(workspace_id)).ms_shard
    return choose_owner(workspace_id, ms_shard, await live_edges(ctx))


async def edge_url(ctx: ServiceContext, workspace_id: str) -> str:
    """The websocket base URL of the edge that owns the workspace."""
    found = await owner(ctx, workspace_id)
    if found is None:
        # An edge may have registered since this process's view was read: read it again
        # before giving up (one small query, on a path that is an error anyway).
        ctx.edges.expire()
        found = await owner(ctx, workspace_id)
    if found is None:
        ms_shard = (await ctx.router.assignment(workspace_id)).ms_shard
        raise NoEdge(
            f"no live edge serves message-server shard {ms_shard} (workspace {workspace_id}): "
            f"start an edge for it (`backchannel serve --ms-shard {ms_shard}`)"
        )
    return found.url


async def socket_url(
    ctx: ServiceContext, caller: TokenInfo, *, path: str = "/", extra: dict[str, str] | None = None
) -> str:
    """Where the caller opens their websocket: their edge, with a fresh single-use ticket
    (at `path` on it: "/" for RTM, "/link/" for Socket Mode). Refused
    (migration_in_progress) while the workspace is frozen for a move."""
    await check_not_moving(ctx, caller.workspace_id)
    base = await edge_url(ctx, caller.workspace_id)
    if path != "/" or not urlsplit(base).path:
        # "ws://host:port?ticket=..." would do for most clients, but slack_sdk's own
        # websocket client sends the path as it is, and "GET ?ticket=..." is no request.
        base = base.rstrip("/") + path
    ticket = await issue_ticket(ctx, caller)
    query = urlencode({"ticket": ticket, **(extra or {})})
    return f"{base}?{query}"
