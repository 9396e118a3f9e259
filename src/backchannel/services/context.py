"""What every service function needs: the router, an injected clock and the event bus, and
this process's caches of tokens and of the live edges."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backchannel.bus import Bus, MemoryBus
from backchannel.router import Router
from backchannel.services.edge_view import EdgeView
from backchannel.services.token_cache import TokenCache

Clock = Callable[[], float]


@dataclass
class ServiceContext:
    router: Router
    clock: Clock = field(default=time.time)
    tokens: TokenCache = field(default_factory=TokenCache)
    bus: Bus = field(default_factory=MemoryBus)
    edges: EdgeView = field(default_factory=EdgeView)
