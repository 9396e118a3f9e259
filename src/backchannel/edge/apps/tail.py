"""The latest events of each shard log the edge follows, kept for its apps' deliveries
(docs/apps.md, Delivery): an app that is caught up reads what the edge was just handed,
in order, instead of asking the database again for every app. A delivery whose position
is older than what is kept reads the database, as before."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from backchannel.models import Event, Position

KEPT = 8192  # events of one log


@dataclass
class Tail:
    """An unbroken run of one log's latest events (of every workspace on it)."""

    epoch: str
    events: deque[Event] = field(default_factory=lambda: deque(maxlen=KEPT))

    @property
    def first(self) -> int:
        return self.events[0].position.seq if self.events and self.events[0].position else 0

    @property
    def last(self) -> int:
        return self.events[-1].position.seq if self.events and self.events[-1].position else 0

    def add(self, event: Event) -> None:
        position = event.position
        assert position is not None
        if position.epoch != self.epoch or (self.events and position.seq != self.last + 1):
            self.epoch = position.epoch  # another epoch, or a gap: start the run again
            self.events.clear()
        if not self.events or position.seq == self.last + 1:
            self.events.append(event)

    def after(self, since: Position, workspace_id: str, limit: int) -> list[Event] | None:
        """The workspace's events after `since`, if the run holds all of them (None: read
        the database)."""
        if since.epoch != self.epoch or not self.events or since.seq + 1 < self.first:
            return None
        if since.seq >= self.last:
            return []
        found: list[Event] = []
        for event in list(self.events)[since.seq + 1 - self.first :]:
            if event.workspace_id == workspace_id:
                found.append(event)
                if len(found) >= limit:
                    break
        return found


class Tails:
    """A tail per log, kept only for logs whose workspaces have apps delivered to here."""

    def __init__(self) -> None:
        self._tails: dict[str, Tail] = {}

    def add(self, event: Event) -> None:
        position = event.position
        if position is None:
            return  # typing, presence: not in the log
        tail = self._tails.get(position.stream)
        if tail is None:
            tail = self._tails[position.stream] = Tail(position.epoch)
        tail.add(event)

    def after(self, since: Position, workspace_id: str, limit: int) -> list[Event] | None:
        tail = self._tails.get(since.stream)
        return None if tail is None else tail.after(since, workspace_id, limit)
