"""The two servers `backchannel bench fanout` measures, each up for as long as it is used.

See docs/benchmarks.md.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from backchannel_tools.bench.fanout_backchannel import BackchannelPoster, EdgeServer, prepare
from backchannel_tools.bench.fanout_baseline import BaselinePoster, BaselineServer

MAX_PEOPLE = 200  # sockets beyond this many people are further sockets of the same people
WARM_TICKETS = 1000  # rtm.connect calls before the memory is first read, tickets left unused

Progress = Callable[[str], None]


class Poster(Protocol):
    async def post(self, number: int) -> bool:
        """Post message `number`, stamped with the time now; True once the server took it."""
        ...


@dataclass(frozen=True)
class Subject:
    """A server under test, as the measurement sees it."""

    name: str
    pid: int  # whose resident memory and CPU time are read
    targets: list[str]  # per socket: a ws:// URL, or a token for rtm.connect at api_url
    api_url: str | None
    poster: Poster
    warm_up: Callable[[], Awaitable[None]] | None = None


@asynccontextmanager
async def baseline(clients: int, progress: Progress) -> AsyncIterator[Subject]:
    progress("starting the baseline (websockets.broadcast)")
    server = BaselineServer()
    poster = BaselinePoster(server.url)
    try:
        await poster.open()
        yield Subject("baseline", server.pid, [f"{server.url}/"] * clients, None, poster)
    finally:
        await poster.close()
        server.stop()


@asynccontextmanager
async def backchannel(clients: int, progress: Progress) -> AsyncIterator[Subject]:
    people = min(clients, MAX_PEOPLE)
    with tempfile.TemporaryDirectory(prefix="bc-fanout-") as tmp:
        data = Path(tmp) / "data"
        progress(f"creating a workspace with {people} people in one channel")
        audience = await prepare(data, people)
        progress("starting backchannel serve")
        server = EdgeServer(data)
        poster = BackchannelPoster(server.url, audience)
        try:
            await poster.open()

            async def warm_up() -> None:
                # The web app's first thousand rtm.connect calls grow it (caches, SQLite's
                # page cache) by about 2 MiB that no socket holds: not to be counted.
                await poster.rtm_connect(min(clients, WARM_TICKETS))

            targets = [audience.tokens[n % people] for n in range(clients)]
            yield Subject("backchannel", server.pid, targets, server.url, poster, warm_up)
        finally:
            await poster.close()
            server.stop()


SUBJECTS = {"baseline": baseline, "backchannel": backchannel}
