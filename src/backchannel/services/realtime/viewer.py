"""What one member of a workspace is shown of its log, read in order: the events to the
whole workspace, to them, and in the conversations they are in at that point of the log
(their joins and leaves are tracked as they go by). An RTM socket (edge/session.py) and an
app's bot (services/apps/delivery.py) both see the log this way."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from backchannel.models import Event
from backchannel.models.events import REVOCATION


def concerns(event: Event, user_id: str, channels: Collection[str]) -> bool:
    """Is the event for `user_id`, who is in `channels`?"""
    if event.skip_user == user_id:
        return False
    if event.scope == "workspace":
        return True
    mine = event.user_id == user_id
    if event.scope == "user":
        return mine
    return mine or event.channel_id in channels


@dataclass
class Viewer:
    user_id: str
    channels: set[str] = field(default_factory=set)
    seq: int = 0  # the last position of the log it has been through

    def accept(self, event: Event) -> bool:
        """Take the next event: track a membership change of the viewer's, and say whether
        the event is for them (never the edges' own revocations, never an unreadable one)."""
        position = event.position
        if position is not None:
            if position.seq <= self.seq:
                return False
            self.seq = position.seq
        if event.type == REVOCATION:
            return False
        mine = event.user_id == self.user_id and event.channel_id is not None
        if mine and event.membership == "join":
            self.channels.add(str(event.channel_id))
        wanted = concerns(event, self.user_id, self.channels)
        if mine and event.membership == "leave":
            self.channels.discard(str(event.channel_id))
        return wanted and bool(event.payload)
