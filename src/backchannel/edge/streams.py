"""Following a shard's event log as the bus delivers it: in order, each event once, no gaps.

The bus may deliver a shard's events out of order (two writers publish after their commits
in either order) or not at all (a publisher died after its commit, a slow consumer was cut
off). The follower hands events on in sequence order; when one is missing for a moment it
reads the gap from the shard's log, which has every committed event. See docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from backchannel.errors import BackchannelError
from backchannel.models import Event, Position
from backchannel.services import ServiceContext
from backchannel.services import events as event_service

log = logging.getLogger(__name__)

GAP_WAIT = 0.25  # how long a missing event may be late before it is read from the log
GAP_PAGE = 1000
RETRY_WAIT = 1.0


class StreamFollower:
    def __init__(self, ctx: ServiceContext, stream: str, deliver: Callable[[Event], None]) -> None:
        self.ctx = ctx
        self.stream = stream
        self.deliver = deliver
        self.position: Position | None = None
        self._early: list[Event] = []  # arrived before the head was read
        self._waiting: dict[int, Event] = {}  # ahead of a gap, by sequence
        self._filler: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Begin at the log's head: sockets catch up on anything older themselves."""
        self.position = await event_service.stream_head(self.ctx, self.stream)
        early, self._early = self._early, []
        for event in early:
            self.receive(event)
        self._ready.set()

    async def ready(self) -> None:
        await self._ready.wait()

    def receive(self, event: Event) -> None:
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
        if self._waiting and self._filler is None:
            self._filler = asyncio.create_task(self._fill_gap(), name=f"gap-{self.stream}")

    def _release(self) -> None:
        """Hand on every waiting event that is next in sequence."""
        position, waiting = self.position, self._waiting
        assert position is not None
        while (event := waiting.pop(position.seq + 1, None)) is not None:
            assert event.position is not None
            position = self.position = event.position
            self.deliver(event)

    async def _fill_gap(self) -> None:
        try:
            await asyncio.sleep(GAP_WAIT)
            while self._waiting:
                assert self.position is not None
                try:
                    missed = await event_service.read_stream(
                        self.ctx, self.position, limit=GAP_PAGE
                    )
                except BackchannelError as exc:
                    log.warning("stream %s: cannot read the gap yet: %s", self.stream, exc)
                    await asyncio.sleep(RETRY_WAIT)
                    continue
                for event in missed:
                    if event.position is not None and event.position.seq > self.position.seq:
                        self._waiting[event.position.seq] = event
                self._release()
                if not missed:
                    await asyncio.sleep(GAP_WAIT)
        finally:
            self._filler = None

    async def stop(self) -> None:
        if self._filler is not None:
            self._filler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filler
