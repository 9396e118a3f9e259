"""Every app with a Socket Mode connection on this edge: the connections' lives, and the
edge's events handed to the apps' deliveries (docs/apps.md)."""

from __future__ import annotations

import asyncio
import logging
import time

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from backchannel.edge.apps.delivery import MAX_LINKS, AppDelivery, ChannelTypes
from backchannel.edge.apps.link import AppLink, read_ack
from backchannel.models import App, Event
from backchannel.models.events import REVOCATION
from backchannel.services import ServiceContext

log = logging.getLogger(__name__)

POLICY = 1008  # too many connections, a revoked token


class AppHub:
    def __init__(self, ctx: ServiceContext, host: str) -> None:
        self.ctx = ctx
        self.host = host
        self.deliveries: dict[str, AppDelivery] = {}  # by app id
        self._closing: set[asyncio.Task[None]] = set()

    def links(self) -> list[AppLink]:
        return [link for found in self.deliveries.values() for link in found.links]

    async def serve(
        self,
        connection: ServerConnection,
        app: App,
        token_hash: str | None,
        channel_type: ChannelTypes,
    ) -> None:
        """One connection of `app`, until it closes: hello, then its acknowledgements."""
        found = self.deliveries.get(app.id)
        if found is None:
            found = self.deliveries[app.id] = AppDelivery(self.ctx, app, channel_type)
        if len(found.links) >= MAX_LINKS:
            await connection.close(POLICY, "too_many_websockets")
            return
        link = AppLink(connection, app.id, token_hash, self.host, opened=time.time())
        await link.hello(len(found.links) + 1)
        found.add(link)
        log.info("app connection opened", extra={"app": app.id, "team": app.workspace_id})
        try:
            async for raw in connection:
                acked = read_ack(raw)
                if acked is not None:
                    found.ack(acked[0])
        except ConnectionClosed:
            pass
        finally:
            found.remove(link)
            log.info("app connection closed", extra={"app": app.id, "team": app.workspace_id})

    def notify(self, event: Event) -> None:
        """An event of a workspace's log reached the edge: its apps' deliveries read on."""
        for found in self.deliveries.values():
            if found.app.workspace_id != event.workspace_id:
                continue
            if event.type == REVOCATION:
                self._close_revoked(found, event)
            found.notify()

    def _close_revoked(self, found: AppDelivery, event: Event) -> None:
        revoked = set(event.payload.get("tokens") or ())
        for link in found.links:
            if link.token_hash in revoked:
                closing = asyncio.create_task(link.connection.close(POLICY, "token_revoked"))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)

    async def release(self, workspace_id: str, reason: str = "refresh_requested") -> None:
        """Another edge serves the workspace now (or this one stops): its apps' connections
        are told to open new ones, then closed."""
        for app_id, found in list(self.deliveries.items()):
            if found.app.workspace_id == workspace_id:
                await self._let_go(found, reason)
                del self.deliveries[app_id]

    async def stop(self) -> None:
        for found in list(self.deliveries.values()):
            await self._let_go(found, "refresh_requested")
        self.deliveries.clear()

    async def _let_go(self, found: AppDelivery, reason: str) -> None:
        for link in list(found.links):
            try:
                await link.disconnect(reason)
                await link.connection.close(1001, reason)
            except ConnectionClosed:
                pass
        await found.stop()
