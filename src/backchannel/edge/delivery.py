"""The edge delivers events just after the turn of the event loop that handed them over.

The bus hands the edge one event at a time, and the in-process bus does it inside the
writer's own call (its HTTP request). Delivering right then made a post's answer wait for
every socket write, and wrote each event to each socket on its own. The events of a turn
are queued instead and delivered together at the start of the next: the answer goes
first, and a socket gets the events of one turn in one write (room.py). The order of
events is kept: one queue, delivered in the order it was filled. See docs/realtime.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from backchannel.models import Event


class DeliveryQueue:
    def __init__(self, deliver: Callable[[list[Event]], None]) -> None:
        self._deliver = deliver
        self._events: list[Event] = []
        self._turn: asyncio.Handle | None = None
        self._closed = False

    def put(self, event: Event) -> None:
        if self._closed:
            return  # the edge has said goodbye: its clients resume elsewhere
        self._events.append(event)
        if self._turn is None:
            self._turn = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Deliver what is queued, now (the loop does it after the turn)."""
        if self._turn is not None:
            self._turn.cancel()
            self._turn = None
        events, self._events = self._events, []
        if events:
            self._deliver(events)

    def close(self) -> None:
        """Deliver what is queued; take nothing more."""
        self.flush()
        self._closed = True
