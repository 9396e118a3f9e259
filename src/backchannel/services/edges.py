"""Edges: which websocket URL serves each message-server shard (docs/realtime.md).

An edge registers the message-server shards it serves when it starts. The URL is kept in
the main DB's topology and the shard map's version moves on, so every process's shard-map
cache (router/shard_map.py) sees it at its next check. rtm.connect and rtm.start then send
each workspace's clients to the edge of the workspace's message-server shard, with a ticket.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote, urlsplit

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import TokenInfo
from backchannel.router import Main
from backchannel.services.context import ServiceContext
from backchannel.services.tickets import issue_ticket
from backchannel.storage import topology

SCHEMES = ("ws", "wss")


class NoEdge(BackchannelError):
    """No edge serves the workspace's message-server shard, so there is no socket to give."""

    slack_error = "service_unavailable"


def check_edge_url(url: str) -> str:
    """A websocket base URL such as ws://127.0.0.1:8001 (rtm.connect appends ?ticket=...)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise InvalidArgument(f"expected an edge URL like ws://host:port, got {url!r}")
    if parts.query or parts.fragment:
        raise InvalidArgument(f"an edge URL takes no query or fragment, got {url!r}")
    return parts.geturl()


def _check_names(ms_shards: Collection[str]) -> list[str]:
    names = sorted({name.strip() for name in ms_shards if name.strip()})
    if not names:
        raise InvalidArgument("name at least one message-server shard for the edge to serve")
    return names


async def register_edge(
    ctx: ServiceContext, ms_shards: Collection[str] | None, url: str
) -> list[str]:
    """Record `url` as the edge of these message-server shards (None: all of them),
    replacing any earlier edge of theirs; the names of the shards, sorted."""
    url = check_edge_url(url)
    async with ctx.router.write(Main()) as conn:
        known = await topology.ms_shard_names_txn(conn)
        names = sorted(known) if ms_shards is None else _check_names(ms_shards)
        unknown = sorted(set(names) - known)
        if unknown or not names:
            raise NotFound(
                f"no message-server shard named {', '.join(unknown) or '(any)'}; "
                f"this deployment has {', '.join(sorted(known)) or 'none'}"
            )
        await topology.set_ms_shard_urls_txn(conn, names, url)
    await ctx.router.shard_map.refresh()
    return names


async def unregister_edge(ctx: ServiceContext, ms_shards: Collection[str], url: str) -> None:
    """Forget `url` for these shards, unless another edge has registered for one since."""
    async with ctx.router.write(Main()) as conn:
        cleared = await topology.clear_ms_shard_urls_txn(conn, _check_names(ms_shards), url)
    if cleared:
        await ctx.router.shard_map.refresh()


async def edge_url(ctx: ServiceContext, workspace_id: str) -> str:
    """The websocket base URL of the edge serving the workspace's message-server shard."""
    ms_shard = (await ctx.router.assignment(workspace_id)).ms_shard
    url = ctx.router.shard_map.current.ms_urls.get(ms_shard)
    # An edge may have registered a moment ago, before this process's next check of the
    # shard map: look at its version once (one small query) before giving up. Read the map
    # again even when the version is unchanged: a concurrent request may have just reloaded it.
    if url is None:
        await ctx.router.shard_map.refresh_if_changed()
        url = ctx.router.shard_map.current.ms_urls.get(ms_shard)
    if url is None:
        raise NoEdge(
            f"no edge serves message-server shard {ms_shard} (workspace {workspace_id}): "
            f"start an edge for it (`backchannel serve --ms-shard {ms_shard}`)"
        )
    return url


async def socket_url(ctx: ServiceContext, caller: TokenInfo) -> str:
    """Where the caller opens their websocket: their edge, with a fresh single-use ticket."""
    base = await edge_url(ctx, caller.workspace_id)
    if not urlsplit(base).path:
        # "ws://host:port?ticket=..." would do for most clients, but slack_sdk's own
        # websocket client sends the path as it is, and "GET ?ticket=..." is no request.
        base += "/"
    ticket = await issue_ticket(ctx, caller)
    return f"{base}?ticket={quote(ticket, safe='')}"
