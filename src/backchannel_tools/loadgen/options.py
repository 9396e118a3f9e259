"""The options of `backchannel loadgen`, checked into one value (docs/loadgen.md)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backchannel.errors import ConfigError, InvalidArgument
from backchannel.services.validation import check_domain
from backchannel_tools.loadgen.target import check_api_url

MOST_USERS = 100_000
MOST_CHANNELS = 1_000
MOST_SECONDS = 24 * 3600.0
DEFAULT_THINK = 5.0
# The command's own options, as `checked` takes them (the rest are storage options).
FLAGS = (
    "url",
    "users",
    "connected_fraction",
    "duration",
    "rate",
    "think_time",
    "channels",
    "domain",
    "out",
    "seed",
)


@dataclass(frozen=True)
class LoadgenOptions:
    url: str
    users: int
    connected_fraction: float
    duration: float
    think: float  # mean seconds between one person's actions
    rate: float | None  # the crowd's target actions/s, when given instead
    channels: int
    domain: str
    out: Path
    seed: int
    started: str  # when the run was asked for, local time

    @classmethod
    def checked(
        cls,
        *,
        url: str,
        users: int,
        connected_fraction: float,
        duration: float,
        rate: float | None,
        think_time: float | None,
        channels: int,
        domain: str,
        out: Path | None,
        seed: int | None,
    ) -> LoadgenOptions:
        if not 1 <= users <= MOST_USERS:
            raise ConfigError(f"--users must be between 1 and {MOST_USERS}, got {users}")
        if not 0.0 <= connected_fraction <= 1.0:
            raise ConfigError(
                f"--connected-fraction must be between 0 and 1, got {connected_fraction:g}"
            )
        if not 0.0 < duration <= MOST_SECONDS:
            raise ConfigError(
                f"--duration must be above 0 and at most {MOST_SECONDS:g} seconds, got {duration:g}"
            )
        if not 1 <= channels <= MOST_CHANNELS:
            raise ConfigError(f"--channels must be between 1 and {MOST_CHANNELS}, got {channels}")
        think = _think(users, rate, think_time)
        try:
            domain = check_domain(domain)
        except InvalidArgument as exc:
            raise ConfigError(f"--workspace: {exc.message}") from None
        return cls(
            url=check_api_url(url),
            users=users,
            connected_fraction=connected_fraction,
            duration=duration,
            think=think,
            rate=rate,
            channels=channels,
            domain=domain,
            out=out or Path.cwd() / time.strftime("loadgen-report-%Y%m%d-%H%M%S"),
            seed=random.randrange(2**31) if seed is None else seed,
            started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "workspace": self.domain,
            "users": self.users,
            "connected_fraction": self.connected_fraction,
            "duration": self.duration,
            "think_time": round(self.think, 4),
            "rate": self.rate,
            "channels": self.channels,
            "seed": self.seed,
            "started": self.started,
        }


def _think(users: int, rate: float | None, think_time: float | None) -> float:
    if rate is not None and think_time is not None:
        raise ConfigError("give --rate or --think-time, not both")
    if rate is not None:
        if not 0.0 < rate <= 1_000_000:
            raise ConfigError(f"--rate must be above 0 actions/s, got {rate:g}")
        return users / rate
    think = DEFAULT_THINK if think_time is None else think_time
    if not 0.0 < think <= MOST_SECONDS:
        raise ConfigError(f"--think-time must be above 0 seconds, got {think:g}")
    return think
