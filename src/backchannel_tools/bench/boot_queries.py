"""The queries of `backchannel bench boot`: what a lean client asks its edge for instead of
having the whole workspace (docs/edge-cache.md), each timed on an open lean socket."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backchannel_tools.bench.boot_client import BootClient, LeanSocket
from backchannel_tools.bench.boot_workspace import BenchWorkspace
from backchannel_tools.bench.harness import Result

FRAMES_PER_SOCKET = 45  # the edge allows each socket a burst of 50 frames, then 10 a second
SEARCH_LIMIT, INFO_BATCH, MEMBERS_PAGE = 20, 25, 100

Ask = Callable[[], dict[str, Any]]  # a query's fields
Count = Callable[[dict[str, Any]], int]  # the items of its reply


def p50_p99_ms(seconds: list[float]) -> tuple[float, float]:
    timed = Result("", 1, seconds, sum(seconds), 0)
    return round(timed.percentile(0.50), 2), round(timed.percentile(0.99), 2)


@dataclass
class Queries:
    kind: str
    seconds: list[float] = field(default_factory=list)
    results: list[int] = field(default_factory=list)  # items in each reply

    def as_row(self, workspace: BenchWorkspace) -> dict[str, Any]:
        p50, p99 = p50_p99_ms(self.seconds)
        return {
            "people": workspace.people,
            "query": self.kind,
            "n": len(self.seconds),
            "p50_ms": p50,
            "p99_ms": p99,
            "results": round(statistics.fmean(self.results), 1) if self.results else 0,
        }


@dataclass
class _Pages:
    """conversations.members of one channel, page after page, from the first again after
    the last."""

    channel: str
    cursor: str = ""

    def fields(self) -> dict[str, Any]:
        return {"channel": self.channel, "limit": MEMBERS_PAGE, "cursor": self.cursor}

    def took(self, reply: dict[str, Any]) -> int:
        self.cursor = str(reply["response_metadata"]["next_cursor"] or "")
        return len(reply["members"])


async def time_queries(client: BootClient, workspace: BenchWorkspace, count: int) -> list[Queries]:
    """`count` of each kind, the kinds in turn, on lean sockets: each socket's burst allows
    FRAMES_PER_SOCKET frames, so a fresh one is booted then (untimed)."""
    rng = random.Random(11)
    plan = workspace.plan
    pages = _Pages(workspace.general)

    def word(name: str) -> str:
        return rng.choice(name.split())[: rng.randint(1, 3)]

    kinds: dict[str, tuple[Ask, Count]] = {
        "users.search": (
            lambda: {"query": word(rng.choice(plan.names)), "limit": SEARCH_LIMIT},
            lambda reply: len(reply["users"]),
        ),
        "users.info": (
            lambda: {"users": rng.sample(plan.people, INFO_BATCH)},
            lambda reply: len(reply["users"]),
        ),
        "channels.search": (
            lambda: {"query": rng.choice(plan.channel_names)[: rng.randint(1, 4)]},
            lambda reply: len(reply["channels"]),
        ),
        "conversations.members": (pages.fields, pages.took),
    }
    found = {kind: Queries(kind) for kind in kinds}
    socket: LeanSocket | None = None
    try:
        for _ in range(count):
            for kind, (fields, took) in kinds.items():
                if socket is None or socket.sent >= FRAMES_PER_SOCKET:
                    if socket is not None:
                        await socket.close()
                    socket = (await client.lean_boot()).socket
                asked = fields()
                started = time.perf_counter()
                reply, _ = await socket.ask(kind, **asked)
                found[kind].seconds.append(time.perf_counter() - started)
                found[kind].results.append(took(reply))
    finally:
        if socket is not None:
            await socket.close()
    return list(found.values())
