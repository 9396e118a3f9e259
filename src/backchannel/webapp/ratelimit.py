"""Rate limits by Slack's method tiers, answered as Slack does: HTTP 429 and Retry-After.

Slack limits each app per workspace per method by tier (Tier 1: 1+/min, Tier 2: 20+/min,
Tier 3: 50+/min, Tier 4: 100+/min) and chat.postMessage to about one message per second per
channel, with short bursts allowed. Here a "caller" is a token's user; the buckets live in
the process (several webapps each apply the limits). See docs/webapp.md.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from backchannel.services import Clock

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
DEFAULT_TIER = 3
# Methods not listed are Tier 3, Slack's most common tier.
METHOD_TIERS: dict[str, int] = {
    "api.test": 4,
    "auth.test": 4,
    "auth.revoke": 3,
    "team.info": 3,
    "users.list": 2,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "users.conversations": 3,
    "users.getPresence": 3,
    "users.setPresence": 2,
    "users.profile.get": 4,
    "users.profile.set": 3,
    "users.setPhoto": 2,
    "users.deletePhoto": 2,
    "conversations.list": 2,
    "conversations.info": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.members": 4,
    "conversations.create": 2,
    "conversations.archive": 2,
    "conversations.unarchive": 2,
    "conversations.rename": 2,
    "conversations.kick": 3,
    "conversations.invite": 3,
    "conversations.mark": 3,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "reactions.add": 3,
    "reactions.remove": 2,
    "reactions.get": 3,
    "reactions.list": 2,
    "pins.add": 2,
    "pins.remove": 2,
    "pins.list": 2,
    "search.messages": 2,
    # The web client's sign-in (webapp/browser.py), per address and per email.
    "auth.signin": 3,
}
# chat.postMessage and chat.meMessage: per channel, about one a second, bursts of a few.
POST_PER_SECOND = 1.0
POST_BURST = 5
MAX_BUCKETS = 100_000  # bounded memory: the least recently used buckets are forgotten


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by (who, method) or (channel, "post"); thread-free, in-process."""

    def __init__(self, clock: Clock, *, scale: float = 1.0) -> None:
        self._clock = clock
        self._scale = scale
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        # Calls refused, by method (the metrics read it: docs/metrics.md). The callers pass
        # only registered method names, so it stays small.
        self.rejected: dict[str, int] = {}

    @property
    def rejections(self) -> int:
        return sum(self.rejected.values())

    def check(self, method: str, who: str, channel: str | None = None) -> float | None:
        """None if the call may go ahead; otherwise the seconds to wait before retrying."""
        if method in ("chat.postMessage", "chat.meMessage") and channel:
            wait = self._take(
                (channel, "post"), POST_BURST * self._scale, POST_PER_SECOND * self._scale
            )
        else:
            per_minute = TIER_PER_MINUTE[METHOD_TIERS.get(method, DEFAULT_TIER)] * self._scale
            wait = self._take((who, method), per_minute, per_minute / 60.0)
        if wait is not None:
            self.rejected[method] = self.rejected.get(method, 0) + 1
        return wait

    def _take(self, key: tuple[str, str], capacity: float, per_second: float) -> float | None:
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * per_second)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / per_second


def retry_after_header(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}
