"""Every app this edge delivers to (docs/apps.md): Socket Mode apps while they have a
connection here, and the Events API apps of the workspaces it owns; the edge's events
handed to their deliveries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from backchannel.edge.apps.delivery import ChannelTypes, Delivery
from backchannel.edge.apps.http_delivery import HttpDelivery
from backchannel.edge.apps.link import AppLink, read_ack
from backchannel.edge.apps.socket_delivery import MAX_LINKS, SocketDelivery
from backchannel.edge.apps.tail import Tails
from backchannel.models import App, Event
from backchannel.models.events import REVOCATION
from backchannel.services import ServiceContext
from backchannel.services.apps.installs import installed_apps, manifest_of

log = logging.getLogger(__name__)

POLICY = 1008  # too many connections, a revoked token
REVOKED_GRACE = 2.0  # seconds a revoked token's connection may wait for its last events
UNINSTALLED_GRACE = 30.0  # seconds an uninstalled HTTP app has to take app_uninstalled
Owns = Callable[[str], Awaitable[bool]]


class AppHub:
    def __init__(self, ctx: ServiceContext, host: str, *, disable_after: float) -> None:
        self.ctx = ctx
        self.host = host
        self.sockets: dict[str, SocketDelivery] = {}  # by app id
        self.posts: dict[str, HttpDelivery] = {}  # by app id
        self._disable_after = disable_after
        self._client: httpx.AsyncClient | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._leaving: dict[str, float] = {}  # uninstalled apps still delivering, since when
        self.tails = Tails()

    def workspaces(self) -> set[str]:
        """The workspaces whose apps this edge delivers to (their caches stay)."""
        every = [*self.sockets.values(), *self.posts.values()]
        return {found.app.workspace_id for found in every}

    # -- Socket Mode ---------------------------------------------------------------------

    async def serve(
        self,
        connection: ServerConnection,
        app: App,
        token_hash: str | None,
        channel_type: ChannelTypes,
    ) -> None:
        """One connection of `app`, until it closes: hello, then its acknowledgements."""
        found = self.sockets.get(app.id)
        if found is None:
            found = self.sockets[app.id] = SocketDelivery(self.ctx, app, channel_type)
            found.tails = self.tails
        if len(found.links) >= MAX_LINKS:
            await connection.close(POLICY, "too_many_websockets")
            return
        link = AppLink(connection, app.id, token_hash, self.host, opened=time.time())
        await link.hello(len(found.links) + 1)
        found.add(link)
        who = {"app": app.id, "team": app.workspace_id}
        log.info("app connection opened", extra=who)
        try:
            async for raw in connection:
                acked = read_ack(raw)
                if acked is not None:
                    found.settle(acked[0])
        except ConnectionClosed:
            pass
        finally:
            found.remove(link)
            log.info("app connection closed", extra=who)

    # -- the Events API ------------------------------------------------------------------

    async def sync(self, owns: Owns, channel_types: Callable[[str], ChannelTypes]) -> None:
        """Deliver to the Events API apps of the workspaces this edge owns, and to no other
        (run after each heartbeat: apps come, go and change their Request URL)."""
        wanted: dict[str, App] = {}
        for app in await installed_apps(self.ctx):
            if _over_http(app) and await owns(app.workspace_id):
                wanted[app.id] = app
        now = time.monotonic()
        for app_id, found in list(self.posts.items()):
            fresh = wanted.get(app_id)
            if fresh is not None and _settings(fresh) == _settings(found.app):
                continue
            if fresh is None and found.running() and self._in_grace(app_id, now):
                continue  # uninstalled, it may still have app_uninstalled to send
            self._leaving.pop(app_id, None)
            del self.posts[app_id]
            await found.stop()
        for app_id, app in wanted.items():
            if app_id not in self.posts and app.delivery_disabled is None:
                kinds = channel_types(app.workspace_id)
                posting = HttpDelivery(self.ctx, app, kinds, self._http(), self._disable_after)
                posting.tails = self.tails
                self.posts[app_id] = posting
                posting.start()

    def _in_grace(self, app_id: str, now: float) -> bool:
        """Is an uninstalled app within UNINSTALLED_GRACE of when this edge first saw it
        gone?"""
        return now - self._leaving.setdefault(app_id, now) < UNINSTALLED_GRACE

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=True, max_redirects=3)
        return self._client

    # -- the edge's events ---------------------------------------------------------------

    def notify(self, event: Event) -> None:
        """An event of a log reached the edge (in the log's order): kept for the apps'
        deliveries, and those of its workspace read on."""
        if self.sockets or self.posts:
            self.tails.add(event)
        for found in self._of(event.workspace_id):
            if event.type == REVOCATION and isinstance(found, SocketDelivery):
                self._close_revoked(found, event)
            found.notify()

    def _of(self, workspace_id: str) -> list[Delivery]:
        every: list[Delivery] = [*self.sockets.values(), *self.posts.values()]
        return [found for found in every if found.app.workspace_id == workspace_id]

    def _close_revoked(self, found: SocketDelivery, event: Event) -> None:
        """The delivery closes a revoked token's connections when it reads the revocation
        in the log, after what came before it (app_uninstalled); should it be slow to get
        there, they close after REVOKED_GRACE all the same."""
        revoked = set(event.payload.get("tokens") or ())
        for link in found.links:
            if link.token_hash in revoked:
                closing = asyncio.create_task(_close_later(link, REVOKED_GRACE))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)

    async def release(self, workspace_id: str, reason: str = "refresh_requested") -> None:
        """Another edge serves the workspace now: its apps' connections are told to open
        new ones, then closed; its Events API deliveries stop (the owner takes them up)."""
        for app_id, found in list(self.sockets.items()):
            if found.app.workspace_id == workspace_id:
                del self.sockets[app_id]
                await _let_go(found, reason)
        for app_id, posting in list(self.posts.items()):
            if posting.app.workspace_id == workspace_id:
                del self.posts[app_id]
                await posting.stop()

    async def stop(self) -> None:
        for closing in self._closing:
            closing.cancel()
        for found in list(self.sockets.values()):
            await _let_go(found, "refresh_requested")
        for posting in list(self.posts.values()):
            await posting.stop()
        self.sockets.clear()
        self.posts.clear()
        if self._client is not None:
            await self._client.aclose()


def _settings(app: App) -> tuple[object, ...]:
    """What a running delivery was started with: it starts afresh when these change."""
    return (app.manifest, app.delivery_disabled)


def _over_http(app: App) -> bool:
    """An app receiving the Events API over HTTP: a Request URL, and Socket Mode off (with
    it on, Slack sends events to the socket only)."""
    manifest = manifest_of(app)
    return manifest.request_url is not None and not manifest.socket_mode


async def _close_later(link: AppLink, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await link.connection.close(POLICY, "token_revoked")


async def _let_go(found: SocketDelivery, reason: str) -> None:
    """Stop delivering (the position saved) before the app is told to connect again: its
    next connection, on another edge, starts where this one stopped."""
    links = list(found.links)
    await found.stop()
    for link in links:
        try:
            await link.disconnect(reason)
            await link.connection.close(1001, reason)
        except ConnectionClosed:
            pass
