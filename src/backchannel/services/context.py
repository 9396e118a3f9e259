"""What every service function needs: the router, an injected clock and the event bus, this
process's caches of tokens and of the live edges, where clients reach the webapp, and where
file bytes live."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backchannel.bus import Bus, MemoryBus
from backchannel.config import DEFAULT_DATA_DIR, ServerSettings
from backchannel.router import Router
from backchannel.services.identity.token_cache import TokenCache
from backchannel.services.realtime.edge_view import EdgeView
from backchannel.storage.blobs import LOCAL_DIR, BlobStore, LocalBlobStore

Clock = Callable[[], float]


@dataclass
class ServiceContext:
    router: Router
    clock: Clock = field(default=time.time)
    tokens: TokenCache = field(default_factory=TokenCache)
    bus: Bus = field(default_factory=MemoryBus)
    edges: EdgeView = field(default_factory=EdgeView)
    # The webapp's public base URL: the default avatars in events and in the edge's boot
    # are served there (default_avatars.py), with absolute URLs as Slack clients need.
    public_url: str = field(default_factory=lambda: ServerSettings().base_url)
    # The blob store (storage/blobs/): app.py builds it from the `files` setting.
    blobs: BlobStore = field(default_factory=lambda: LocalBlobStore(DEFAULT_DATA_DIR / LOCAL_DIR))
