"""What the simulated people know of their channels, shared by all of them in the process:
recent messages (to reply to and react to), and when each post in flight was sent (to time
its delivery on every socket that receives it). See docs/loadgen.md.
"""

from __future__ import annotations

import collections
import random
import time

RECENT = 50  # messages remembered per channel
LAG_WINDOW = 60.0  # a post not seen within this many seconds is no longer waited for


class Traffic:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._recent: dict[str, collections.deque[str]] = collections.defaultdict(
            lambda: collections.deque(maxlen=RECENT)
        )
        self._sent: dict[str, float] = {}  # client_msg_id -> perf_counter at sending

    def seen(self, channel_id: str, ts: str) -> None:
        """A top-level message of the channel that people may now reply or react to."""
        recent = self._recent[channel_id]
        if ts not in recent:
            recent.append(ts)

    def pick(self, channel_id: str) -> str | None:
        recent = self._recent.get(channel_id)
        return self._rng.choice(recent) if recent else None

    def sending(self, client_msg_id: str) -> None:
        self._sent[client_msg_id] = time.perf_counter()

    def sent_at(self, client_msg_id: str) -> float | None:
        return self._sent.get(client_msg_id)

    def forget_old(self) -> None:
        """Drop the send times past the window (the dict is in sending order)."""
        horizon = time.perf_counter() - LAG_WINDOW
        while self._sent:
            oldest = next(iter(self._sent))
            if self._sent[oldest] >= horizon:
                return
            del self._sent[oldest]
