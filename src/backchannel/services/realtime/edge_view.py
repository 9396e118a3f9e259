"""This process's view of the live edges (docs/edge-cache.md, Routing): read from the main DB
again when it is older than VIEW_SECONDS, so routing a client costs no query most of the time
and a heartbeat changes nothing in the shard map. services/realtime/edges.py reads and fills it.
"""

from __future__ import annotations

import asyncio
import math

from backchannel.models import EdgeInfo

VIEW_SECONDS = 1.0


class EdgeView:
    def __init__(self, *, max_age: float = VIEW_SECONDS) -> None:
        self.max_age = max_age
        self.live: tuple[EdgeInfo, ...] = ()  # as judged when read
        self.read_at = -math.inf
        self.reads = 0
        self.lock = asyncio.Lock()  # one read at a time; the others wait for its result

    def fresh(self, now: float) -> bool:
        return 0 <= now - self.read_at < self.max_age

    def put(self, live: tuple[EdgeInfo, ...], now: float) -> None:
        self.live = live
        self.read_at = now
        self.reads += 1

    def expire(self) -> None:
        """Read again at the next use (this process has just changed the edges)."""
        self.read_at = -math.inf
