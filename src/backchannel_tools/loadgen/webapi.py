"""Web API calls of the simulated people: one aiohttp session for the process, every call
timed and bounded, every failure named by its kind rather than raised (docs/loadgen.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp

REQUEST_TIMEOUT = 10.0  # seconds; a call that takes longer counts as a "timeout" error
CONNECTIONS = 256  # keep-alive connections to the server at most


@dataclass(frozen=True)
class Outcome:
    """A call's reply (when ok) or the kind of its failure, and how long it took."""

    body: dict[str, Any]
    error: str | None
    latency: float
    retry_after: float = 0.0  # what a 429 asked to wait, in seconds

    @property
    def ok(self) -> bool:
        return self.error is None


class WebApi:
    def __init__(self, url: str) -> None:
        self.url = url
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> WebApi:
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, token: str | None, **fields: str) -> Outcome:
        assert self._session is not None, "use WebApi as an async context manager"
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        started = time.perf_counter()
        try:
            async with self._session.post(
                f"{self.url}/api/{method}", data=fields, headers=headers
            ) as reply:
                if reply.status == 429:
                    wait = _seconds(reply.headers.get("Retry-After"))
                    return Outcome({}, "ratelimited", time.perf_counter() - started, wait)
                if reply.status != 200:
                    return Outcome({}, f"http_{reply.status}", time.perf_counter() - started)
                body = await reply.json(content_type=None)
        except TimeoutError:
            return Outcome({}, "timeout", time.perf_counter() - started)
        except (aiohttp.ClientError, OSError):
            return Outcome({}, "connection", time.perf_counter() - started)
        except ValueError:  # not JSON
            return Outcome({}, "bad_reply", time.perf_counter() - started)
        latency = time.perf_counter() - started
        if not isinstance(body, dict):
            return Outcome({}, "bad_reply", latency)
        if not body.get("ok"):
            return Outcome(body, str(body.get("error") or "not_ok"), latency)
        return Outcome(body, None, latency)


def _seconds(header: str | None) -> float:
    try:
        return max(0.0, float(header or 1))
    except ValueError:
        return 1.0
