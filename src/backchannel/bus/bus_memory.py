"""The in-process bus of a one-process deployment: a publish calls every matching handler."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from backchannel.bus.bus import Handler

log = logging.getLogger(__name__)


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS's rules: `*` is one token, `>` (last) is one or more."""
    wanted, got = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(got) > index
        if index >= len(got) or (token != "*" and token != got[index]):
            return False
    return len(wanted) == len(got)


@dataclass(eq=False)
class MemorySubscription:
    bus: MemoryBus
    pattern: str
    handler: Handler

    async def unsubscribe(self) -> None:
        if self in self.bus.subscriptions:
            self.bus.subscriptions.remove(self)


@dataclass
class MemoryBus:
    subscriptions: list[MemorySubscription] = field(default_factory=list)

    async def publish(self, subject: str, data: bytes) -> None:
        for subscription in list(self.subscriptions):
            if subject_matches(subscription.pattern, subject):
                try:
                    subscription.handler(subject, data)
                except Exception:  # one broken subscriber must not fail the writer
                    log.exception("subscriber to %s failed", subscription.pattern)

    async def subscribe(self, subject: str, handler: Handler) -> MemorySubscription:
        subscription = MemorySubscription(self, subject, handler)
        self.subscriptions.append(subscription)
        return subscription

    async def close(self) -> None:
        self.subscriptions.clear()
