"""Delivering a workspace's events to one app over its Socket Mode connections (docs/apps.md,
Delivery).

The edge that owns the workspace runs it while the app has a connection: it reads the log
after the app's acknowledged position, sends each event the app's bot may see and the app
subscribed to as an `events_api` envelope (round robin over the app's connections), and
saves the position up to the first event not yet acknowledged. An envelope not
acknowledged within ACK_SECONDS is sent again, to another connection when there is one,
marked as a retry; after MAX_RETRIES it is given up, as Slack gives up. An app that goes
away is sent what it missed when it comes back, from the saved position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backchannel.edge.apps.link import AppLink
from backchannel.errors import BackchannelError
from backchannel.models import App, Event, Position
from backchannel.services import ServiceContext
from backchannel.services.apps import delivery
from backchannel.services.apps.envelopes import Subscriber, callbacks

log = logging.getLogger(__name__)

ACK_SECONDS = 3.0  # Slack's: an envelope not acknowledged in 3 s is sent again
MAX_RETRIES = 3
WINDOW = 200  # envelopes in flight to one app at most
SAVE_SECONDS = 0.2  # how often the acknowledged position is written
MAX_LINKS = 10  # Slack allows an app 10 connections at once
STOP_SECONDS = 5.0

ChannelTypes = Callable[[str | None], str | None]


@dataclass
class Pending:
    seq: int
    body: dict[str, Any]
    link: AppLink
    sent: float
    attempt: int = 0


class AppDelivery:
    def __init__(self, ctx: ServiceContext, app: App, channel_type: ChannelTypes) -> None:
        self.ctx = ctx
        self.app = app
        self.links: list[AppLink] = []
        self._channel_type = channel_type
        self._subscriber: Subscriber = delivery.subscriber(app)
        self._pending: dict[str, Pending] = {}
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._room = asyncio.Event()  # set when the window has room again
        self._task: asyncio.Task[None] | None = None
        self._next = 0  # round robin over the links
        self._sent_through = 0  # the last seq sent (a resend of one before it is a retry)
        self._offered = 0  # the last seq the app was offered all of

    # -- connections --------------------------------------------------------------------

    def add(self, link: AppLink) -> None:
        self.links.append(link)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"app-{self.app.id}")

    def remove(self, link: AppLink) -> None:
        if link in self.links:
            self.links.remove(link)
        for pending in self._pending.values():
            if pending.link is link:  # sent again elsewhere at once, or after a reconnect
                pending.sent = 0.0
        self._wake.set()

    def notify(self) -> None:
        """The workspace's log has grown."""
        self._wake.set()

    def ack(self, envelope_id: str) -> None:
        if self._pending.pop(envelope_id, None) is not None:
            self._room.set()

    async def stop(self) -> None:
        """Stop delivering, the position saved (a task cancelled amid a write could leave
        SQLite's writer in a transaction: it is let finish instead, within reason)."""
        self.links.clear()
        self._wake.set()
        self._room.set()
        self._stopped.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    # -- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        """Deliver while the app has a connection (one that comes while the last delivery
        winds down is served by the next round)."""
        while self.links:
            try:
                await self._deliver()
            except asyncio.CancelledError:
                raise
            except BackchannelError as exc:
                log.warning("app %s: delivery stopped: %s", self.app.id, exc.slack_error)
                await self._close_links(1013, f"try again: {exc.slack_error}")
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("app %s: delivery failed", self.app.id)
                await self._close_links(1011, "internal error")
                await asyncio.sleep(1.0)
            finally:
                self._pending.clear()  # what was not acknowledged is read again from the log

    async def _deliver(self) -> None:
        cursor = await delivery.start(self.ctx, self.app)
        if cursor.limited:
            log.warning("app %s: the log no longer holds all it missed", self.app.id)
        self._offered = cursor.viewer.seq
        done = asyncio.Event()
        saver = asyncio.create_task(self._save_loop(cursor, done))
        try:
            while self.links:
                await self._resend_late()
                if len(self._pending) >= WINDOW:
                    await self._wait(self._room)
                    continue
                page = await delivery.next_page(self.ctx, cursor, self.app.workspace_id)
                if not page:
                    await self._wait(self._wake)
                    continue
                for event in page:
                    if not self.links:
                        break
                    await self._offer(cursor.viewer.accept(event), event)
        finally:
            done.set()
            await saver
            await self._save(cursor)

    async def _offer(self, wanted: bool, event: Event) -> None:
        """Send what this event makes for the app; then it counts as offered (the position
        may pass it once whatever was sent of it is acknowledged)."""
        assert event.position is not None
        seq = event.position.seq
        if wanted:
            subscriber, kind = self._subscriber, self._channel_type(event.channel_id)
            for body in callbacks(subscriber, event, kind):
                retry = seq <= self._sent_through
                await self._send(Pending(seq, body, self.links[0], 0.0, 1 if retry else 0))
            self._sent_through = max(self._sent_through, seq)
        self._offered = seq

    async def _send(self, pending: Pending) -> None:
        if not self.links:
            return
        link = self._pick(avoid=pending.link if pending.attempt else None)
        reason = "timeout" if pending.attempt else ""
        pending.link, pending.sent = link, time.monotonic()
        try:
            envelope_id = await link.send("events_api", pending.body, pending.attempt, reason)
        except Exception:  # the connection went: sent again on another, or after a reconnect
            pending.sent = 0.0
            envelope_id = f"unsent-{id(pending)}"
        self._pending[envelope_id] = pending
        self._room.clear()

    def _pick(self, avoid: AppLink | None) -> AppLink:
        choices = [link for link in self.links if link is not avoid] or self.links
        self._next = (self._next + 1) % len(choices)
        return choices[self._next]

    async def _resend_late(self) -> None:
        now = time.monotonic()
        for envelope_id, pending in list(self._pending.items()):
            if now - pending.sent < ACK_SECONDS:
                continue
            del self._pending[envelope_id]
            if pending.attempt >= MAX_RETRIES:
                log.warning("app %s: an event was never acknowledged: given up", self.app.id)
                continue
            pending.attempt += 1
            await self._send(pending)
        if len(self._pending) < WINDOW:
            self._room.set()

    async def _wait(self, event: asyncio.Event) -> None:
        """Until `event`, or the next time an envelope may be late."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=ACK_SECONDS / 3)
        event.clear()

    # -- the position -------------------------------------------------------------------

    async def _save_loop(self, cursor: delivery.Cursor, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=SAVE_SECONDS)
            await self._save(cursor)

    async def _save(self, cursor: delivery.Cursor) -> None:
        """Save the position before the first envelope not acknowledged (all of it when
        none is out)."""
        through = self._offered
        if self._pending:
            through = min(pending.seq for pending in self._pending.values()) - 1
        position = Position(cursor.stream, cursor.epoch, through)
        try:
            await delivery.save(self.ctx, self.app.id, position)
        except BackchannelError as exc:  # saved next time; at worst a few are sent again
            log.warning("app %s: position not saved: %s", self.app.id, exc.slack_error)

    async def _close_links(self, code: int, reason: str) -> None:
        for link in list(self.links):
            await link.connection.close(code, reason)
