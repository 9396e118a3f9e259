"""Delivering a workspace's events to one app (docs/apps.md, Delivery): what Socket Mode
(socket_delivery.py) and the Events API over HTTP (http_delivery.py) share.

The edge that owns the workspace runs it: it reads the log after the app's acknowledged
position, offers each event the app's bot may see and the app subscribed to, and saves the
position up to the first event not yet acknowledged. An envelope that comes due again (not
acknowledged in time, or refused) is sent again, marked as a retry, until the transport
gives it up. An app that goes away is sent what it missed when it comes back, from the
saved position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backchannel.edge.apps.tail import Tails
from backchannel.errors import BackchannelError
from backchannel.models import App, Event, Position
from backchannel.models.events import REVOCATION
from backchannel.services import ServiceContext
from backchannel.services.apps import delivery
from backchannel.services.apps.envelopes import Subscriber, callbacks

log = logging.getLogger(__name__)

SAVE_SECONDS = 0.2  # how often the acknowledged position is written
STOP_SECONDS = 5.0
IDLE_SECONDS = 1.0  # the longest wait between looks at what came due

ChannelTypes = Callable[[str | None], str | None]  # a conversation's Slack channel_type


@dataclass
class Pending:
    """An envelope out, or to send again once `due`."""

    seq: int
    body: dict[str, Any]
    due: float  # monotonic time from which it counts as unanswered
    attempt: int = 0
    reason: str = ""  # why it is sent again (Slack's retry reasons)
    via: object = None  # what it went out on (a Socket Mode connection)


class Delivery:
    """One app's delivery; a transport says how envelopes go out and when it may run."""

    window = 1  # envelopes out at once
    resent = "timeout"  # the retry reason of what is sent again after a restart

    def __init__(self, ctx: ServiceContext, app: App, channel_type: ChannelTypes) -> None:
        self.ctx = ctx
        self.app = app
        self._channel_type = channel_type
        self._subscriber: Subscriber = delivery.subscriber(app)
        self._pending: dict[str, Pending] = {}
        self._wake = asyncio.Event()
        self._stopped = False
        self._task: asyncio.Task[None] | None = None
        self._sent_through = 0  # the last seq sent (a resend of one before it is a retry)
        self._offered = 0  # the last seq whose envelopes were all sent
        self._uninstalled = False  # app_uninstalled was sent: nothing follows it
        self.tails: Tails | None = None  # the edge's latest events of the logs (tail.py)
        self._saved: tuple[Position, int] | None = None  # what _save wrote last

    # -- what a transport provides -------------------------------------------------------

    def active(self) -> bool:
        """May it deliver now (a connection is open, the URL is not disabled)?"""
        raise NotImplementedError

    async def send(self, key: str | None, pending: Pending) -> str | None:
        """Send an envelope; the key its acknowledgement will name, or None when it was
        settled at once (answered, or given up)."""
        raise NotImplementedError

    async def revoked(self, event: Event) -> None:
        """The log says these tokens are revoked (everything before it has been sent)."""

    async def before(self) -> bool:
        """May it read on now? (An HTTP app's URL must have answered its challenge.)"""
        return True

    # -- driving it ----------------------------------------------------------------------

    def start(self) -> None:
        if not self._stopped and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(), name=f"app-{self.app.id}")

    def notify(self) -> None:
        """The workspace's log has grown, or a connection came or went."""
        self._wake.set()

    def settle(self, key: str) -> None:
        """An envelope was acknowledged."""
        if self._pending.pop(key, None) is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Stop delivering, the position saved (a task cancelled amid a write could leave
        SQLite's writer in a transaction: it is let finish instead, within reason)."""
        self._stopped = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    def running(self) -> bool:
        return not self._stopped and not self._uninstalled and self.active()

    async def _run(self) -> None:
        """Deliver while it may (what comes while the last round winds down is served by
        the next)."""
        while self.running():
            try:
                await self._deliver()
            except asyncio.CancelledError:
                raise
            except BackchannelError as exc:
                log.warning("app %s: delivery paused: %s", self.app.id, exc.slack_error)
                await self._idle(IDLE_SECONDS)
            except Exception:
                log.exception("app %s: delivery failed", self.app.id)
                await self._idle(IDLE_SECONDS)
            finally:
                self._pending.clear()  # what was not acknowledged is read again from the log

    async def _deliver(self) -> None:
        cursor = await delivery.start(self.ctx, self.app)
        if cursor.limited:
            log.warning("app %s: the log no longer holds all it missed", self.app.id)
        self._offered = cursor.viewer.seq
        self._sent_through = max(self._sent_through, cursor.sent)
        done = asyncio.Event()
        saver = asyncio.create_task(self._save_loop(cursor, done))
        try:
            while self.running():
                await self._resend_due()
                if len(self._pending) >= self.window:
                    await self._idle(self._next_due())
                    continue
                if not await self.before():
                    await self._idle(IDLE_SECONDS)
                    continue
                page = await self._next_page(cursor)
                if not page:
                    await self._idle(self._next_due())
                    continue
                for event in page:
                    if not self.running() or len(self._pending) >= self.window:
                        break  # the rest is read again after the position
                    installer = cursor.installer
                    theirs = installer.accept(event) if installer is not None else False
                    await self._offer(cursor.viewer.accept(event), theirs, event)
                    if event.type == REVOCATION:
                        await self.revoked(event)
        finally:
            done.set()
            await saver
            await self._save(cursor)

    async def _next_page(self, cursor: delivery.Cursor) -> list[Event]:
        """What the edge was just handed, when it holds all of it; else the database."""
        kept = None
        if self.tails is not None:
            kept = self.tails.after(cursor.position, self.app.workspace_id, delivery.PAGE)
        if kept is not None:
            return kept
        return await delivery.next_page(self.ctx, cursor, self.app.workspace_id)

    async def _offer(self, bot_sees: bool, installer_sees: bool, event: Event) -> None:
        assert event.position is not None
        seq = event.position.seq
        if bot_sees or installer_sees:
            kind = self._channel_type(event.channel_id)
            made = callbacks(
                self._subscriber, event, kind, bot_sees=bot_sees, installer_sees=installer_sees
            )
            for body in made:
                self._uninstalled |= body["event"].get("type") == "app_uninstalled"
                retry = seq <= self._sent_through
                pending = Pending(seq, body, 0.0, 1 if retry else 0, self.resent if retry else "")
                await self._send(pending)
            self._sent_through = max(self._sent_through, seq)
        self._offered = seq

    async def _send(self, pending: Pending) -> None:
        key = await self.send(None, pending)
        if key is not None:
            self._pending[key] = pending

    async def _resend_due(self) -> None:
        now = time.monotonic()
        for key, pending in list(self._pending.items()):
            if pending.due <= now:
                del self._pending[key]
                resent = await self.send(key, pending)
                if resent is not None:
                    self._pending[resent] = pending

    def _next_due(self) -> float:
        if not self._pending:
            return IDLE_SECONDS
        soonest = min(pending.due for pending in self._pending.values())
        return min(IDLE_SECONDS, max(0.0, soonest - time.monotonic()))

    async def _idle(self, seconds: float) -> None:
        """Until something happens (an event, an acknowledgement), or `seconds`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    # -- the position -------------------------------------------------------------------

    async def _save_loop(self, cursor: delivery.Cursor, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=SAVE_SECONDS)
            await self._save(cursor)

    async def _save(self, cursor: delivery.Cursor) -> None:
        """Save the position before the first envelope not acknowledged (all that was
        offered when none is out)."""
        through = self._offered
        if self._pending:
            through = min(pending.seq for pending in self._pending.values()) - 1
        position = Position(cursor.stream, cursor.epoch, through)
        if (position, self._sent_through) == self._saved:
            return  # an idle app costs no write every SAVE_SECONDS
        try:
            await delivery.save(self.ctx, self.app.id, position, sent=self._sent_through)
            self._saved = (position, self._sent_through)
        except BackchannelError as exc:  # saved next time; at worst a few are sent again
            log.warning("app %s: position not saved: %s", self.app.id, exc.slack_error)
