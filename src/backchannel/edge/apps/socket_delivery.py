"""Delivery over Socket Mode (docs/apps.md): `events_api` envelopes, round robin over the
app's connections, each acknowledged by its `envelope_id`. One not acknowledged within
ACK_SECONDS is sent again, to another connection when there is one; after MAX_RETRIES it
is given up, as Slack gives up."""

from __future__ import annotations

import logging
import time

from backchannel.edge.apps.delivery import ChannelTypes, Delivery, Pending
from backchannel.edge.apps.link import AppLink
from backchannel.models import App, Event
from backchannel.services import ServiceContext

log = logging.getLogger(__name__)

ACK_SECONDS = 3.0  # Slack's: an envelope not acknowledged in 3 s is sent again
MAX_RETRIES = 3
MAX_LINKS = 10  # Slack allows an app 10 connections at once
POLICY = 1008  # a revoked token


class SocketDelivery(Delivery):
    window = 200  # envelopes in flight to one app at most

    def __init__(self, ctx: ServiceContext, app: App, channel_type: ChannelTypes) -> None:
        super().__init__(ctx, app, channel_type)
        self.links: list[AppLink] = []
        self._next = 0  # round robin over the links

    def add(self, link: AppLink) -> None:
        self.links.append(link)
        self.start()
        self.notify()

    def remove(self, link: AppLink) -> None:
        if link in self.links:
            self.links.remove(link)
        for pending in self._pending.values():
            if pending.via is link:  # sent again elsewhere at once, or after a reconnect
                pending.due = 0.0
        self.notify()

    def active(self) -> bool:
        return bool(self.links)

    async def revoked(self, event: Event) -> None:
        """Close the connections opened with a revoked token, once what came before the
        revocation (app_uninstalled, tokens_revoked) has been sent on them."""
        for link in list(self.links):
            if link.token_hash in set(event.payload.get("tokens") or ()):
                await link.connection.close(POLICY, "token_revoked")

    async def stop(self) -> None:
        self.links.clear()
        await super().stop()

    async def send(self, key: str | None, pending: Pending) -> str | None:
        if key is not None:  # not acknowledged in time
            if pending.attempt >= MAX_RETRIES:
                log.warning("app %s: an event was never acknowledged: given up", self.app.id)
                return None
            pending.attempt, pending.reason = pending.attempt + 1, "timeout"
        if not self.links:
            return key or f"unsent-{id(pending)}"  # read again after the position
        link = self._pick(avoid=pending.via if key is not None else None)
        pending.via, pending.due = link, time.monotonic() + ACK_SECONDS
        try:
            return await link.send("events_api", pending.body, pending.attempt, pending.reason)
        except Exception:  # the connection went: sent again on another, or after a reconnect
            pending.due = 0.0
            return key or f"unsent-{id(pending)}"

    def _pick(self, avoid: object) -> AppLink:
        choices = [link for link in self.links if link is not avoid] or self.links
        self._next = (self._next + 1) % len(choices)
        return choices[self._next]
