"""How the webapp is served: uvicorn, configured from the server's settings (docs/webapp.md).

One place for `serve` and the tests alike, so both run what an operator runs: the proxies
whose X-Forwarded-* headers are believed (none unless named).
"""

from __future__ import annotations

from typing import Any

import uvicorn
from starlette.types import ASGIApp

from backchannel.config import ServerSettings


def uvicorn_config(app: ASGIApp, server: ServerSettings, **options: Any) -> uvicorn.Config:
    """uvicorn's config for the webapp; `options` add to it (the event loop, logging)."""
    trusted = list(server.trusted_proxies)
    return uvicorn.Config(
        app,
        http="httptools",
        ws="none",
        lifespan="on",
        # Without a named proxy, X-Forwarded-For is a client's say-so: never believed
        # (uvicorn would believe it from 127.0.0.1).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        access_log=False,  # query strings may carry tokens: the webapp logs its own calls
        log_level="warning",
        **options,
    )
