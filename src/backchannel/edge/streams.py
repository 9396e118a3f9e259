"""Following a shard's event log as the bus delivers it: in order, each event once, no gaps.

The bus may deliver a shard's events out of order (two writers publish after their commits
in either order) or not at all (a publisher died after its commit, a slow consumer was cut
off). The follower hands events on in sequence order; when one is missing for a moment it
reads the gap from the shard's log, which has every committed event. And when the bus has
been quiet for a second it looks at the log's head: an event whose publisher died after
its commit, with nothing after it, is then delivered too. See docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from backchannel.errors import BackchannelError
from backchannel.models import Event, Position
from backchannel.services import ServiceContext
from backchannel.services.realtime import events as event_service

log = logging.getLogger(__name__)

GAP_WAIT = 0.25  # how long a missing event may be late before it is read from the log
GAP_PAGE = 1000
RETRY_WAIT = 1.0
QUIET = 1.0  # how long without events before the log's head is checked


class StreamFollower:
    def __init__(self, ctx: ServiceContext, stream: str, deliver: Callable[[Event], None]) -> None:
        self.ctx = ctx
        self.stream = stream
        self.deliver = deliver
        self.position: Position | None = None
        self._early: list[Event] = []  # arrived before the head was read
        self._waiting: dict[int, Event] = {}  # ahead of a gap, by sequence
        self._filler: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._heard = time.monotonic()
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Begin at the log's head: sockets catch up on anything older themselves."""
        self.position = await event_service.stream_head(self.ctx, self.stream)
        early, self._early = self._early, []
        for event in early:
            self.receive(event)
        self._ready.set()
        self._watcher = asyncio.create_task(self._watch(), name=f"watch-{self.stream}")

    async def ready(self) -> None:
        await self._ready.wait()

    def receive(self, event: Event) -> None:
        self._heard = time.monotonic()
        position, at = self.position, event.position
        if at is None:
            return
        if position is None:
            self._early.append(event)
            return
        if at.epoch != position.epoch:
            log.warning(
                "stream %s: event of epoch %s, expected %s", self.stream, at.epoch, position.epoch
            )
            return
        if at.seq <= position.seq:
            return  # a duplicate, or one already read from the log
        self._waiting[at.seq] = event
        self._release()
        if self._waiting:
            self._fill_soon(GAP_WAIT)

    def _release(self) -> None:
        """Hand on every waiting event that is next in sequence."""
        position, waiting = self.position, self._waiting
        assert position is not None
        while (event := waiting.pop(position.seq + 1, None)) is not None:
            assert event.position is not None
            position = self.position = event.position
            self.deliver(event)

    def _fill_soon(self, wait: float, *, until: int = 0) -> None:
        if self._filler is None:
            self._filler = asyncio.create_task(
                self._fill_gap(wait, until), name=f"gap-{self.stream}"
            )

    async def _fill_gap(self, wait: float, until: int) -> None:
        """Read the log until no event is waiting behind a gap and `until` is reached."""
        try:
            await asyncio.sleep(wait)
            while self._behind(until):
                try:
                    missed = await event_service.read_stream(self.ctx, self._at(), limit=GAP_PAGE)
                except BackchannelError as exc:
                    log.warning("stream %s: cannot read the gap yet: %s", self.stream, exc)
                    await asyncio.sleep(RETRY_WAIT)
                    continue
                self._take(missed)
                if not missed:
                    await asyncio.sleep(GAP_WAIT)
        finally:
            self._filler = None

    def _behind(self, until: int) -> bool:
        return bool(self._waiting) or self._at().seq < until

    def _at(self) -> Position:
        assert self.position is not None
        return self.position

    def _take(self, missed: list[Event]) -> None:
        at = self._at()
        for event in missed:
            if event.position is not None and event.position.seq > at.seq:
                self._waiting[event.position.seq] = event
        first = min(self._waiting, default=None)
        if first is not None and first > at.seq + 1 and missed:
            # The log no longer has what came between (retention): go on from what it has.
            log.warning("stream %s: events %d-%d are gone", self.stream, at.seq + 1, first - 1)
            self.position = Position(at.stream, at.epoch, first - 1)
        self._release()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(QUIET)
            if self._filler is not None or time.monotonic() - self._heard < QUIET:
                continue
            try:
                head = await event_service.stream_head(self.ctx, self.stream)
            except BackchannelError as exc:
                log.warning("stream %s: cannot read the head: %s", self.stream, exc)
                continue
            at = self._at()
            if head.epoch == at.epoch and head.seq > at.seq:
                self._fill_soon(0, until=head.seq)

    async def stop(self) -> None:
        for task in (self._filler, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
