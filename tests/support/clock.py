"""A clock tests move by hand, for what expires (tickets, tokens, rate-limit buckets)."""

from __future__ import annotations


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now
