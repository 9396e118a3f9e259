"""The bus contract: fire-and-forget publish, subscribe by subject (with `*` wildcards).

Delivery guarantee: at most once, in publish order per publisher. The bus is not where events
are kept: a durable event is already in its shard's log before it is published, and an edge
that misses one (a dropped message, a restart) reads it from that log. So the bus only has
to be fast; NATS core (bus_nats.py) and the in-process bus (bus_memory.py) both are.

Subjects: `bc.events.<shard>` carries the durable events of one shard's log, in sequence
order per publisher; `bc.live.<workspace>` carries ephemeral ones (typing, presence).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

# Called on the event loop with (subject, data) for every message; must not block.
Handler = Callable[[str, bytes], None]

EVENTS = "bc.events"
LIVE = "bc.live"


def events_subject(stream: str) -> str:
    return f"{EVENTS}.{stream}"


def live_subject(workspace_id: str) -> str:
    return f"{LIVE}.{workspace_id}"


class Subscription(Protocol):
    async def unsubscribe(self) -> None: ...


class Bus(Protocol):
    async def publish(self, subject: str, data: bytes) -> None: ...

    async def subscribe(self, subject: str, handler: Handler) -> Subscription: ...

    async def close(self) -> None: ...
