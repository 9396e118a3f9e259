"""How the webapp is served: uvicorn, configured from the server's settings (docs/webapp.md).

One place for `serve` and the tests alike, so both run what an operator runs: the proxies
whose X-Forwarded-* headers are believed (none unless named), and a deadline on each
request's headers, which uvicorn lacks: without it a client holds a connection (and its
memory) for ever by sending a request line a byte at a time, or nothing at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backchannel.config import ServerSettings


def uvicorn_config(app: ASGIApp, server: ServerSettings, **options: Any) -> uvicorn.Config:
    """uvicorn's config for the webapp; `options` add to it (the event loop, logging)."""
    trusted = list(server.trusted_proxies)
    return uvicorn.Config(
        app,
        http=_with_header_timeout(server.header_timeout_seconds),
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


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request headers are not all
    in within `header_timeout` seconds: of the connection being made, for its first
    request, and of a later request's first byte (between requests, uvicorn's keep-alive
    timeout applies)."""

    header_timeout = 10.0
    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._headers_due is None:
            self._expect_headers()

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        self._headers_due = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_arrived(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()


def _with_header_timeout(seconds: float) -> type[HeaderDeadline]:
    return type("HeaderDeadline", (HeaderDeadline,), {"header_timeout": seconds})
