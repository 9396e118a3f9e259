"""What every service function needs: the router and an injected clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backchannel.router import Router
from backchannel.services.token_cache import TokenCache

Clock = Callable[[], float]


@dataclass
class ServiceContext:
    router: Router
    clock: Clock = field(default=time.time)
    tokens: TokenCache = field(default_factory=TokenCache)
