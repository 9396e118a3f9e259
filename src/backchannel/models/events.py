"""Events: what a write tells every client that should see it (docs/realtime.md).

Services decide an event's recipients when they make it; the edge applies that rule to its
sockets without asking the database. A durable event sits in its shard's log at a Position
and is replayed to a client that reconnects; an ephemeral one (typing, presence) is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

# Who receives an event:
#   "channel"   - the channel's members at that point of the stream (and `user_id`, if set,
#                 e.g. the member who just left);
#   "workspace" - everybody connected to the workspace;
#   "user"      - `user_id`'s sessions only.
Scope = Literal["channel", "workspace", "user"]
# What an event does to `user_id`'s membership of `channel_id`.
Membership = Literal["join", "leave"]


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a durable event sits: its shard's log (`stream`), that log's epoch, a sequence."""

    stream: str
    epoch: str
    seq: int


@dataclass(frozen=True, slots=True)
class Event:
    workspace_id: str
    scope: Scope
    payload: dict[str, Any]  # the Slack-shaped RTM event, as clients receive it
    channel_id: str | None = None
    user_id: str | None = None
    membership: Membership | None = None
    skip_user: str | None = None  # not sent to this user's sessions (their own typing)
    # The other workspaces of a shared channel to relay the event to; None: the channel's
    # at the time of the write (a disconnect names the one leaving, no longer among them).
    relay_to: tuple[str, ...] | None = None
    position: Position | None = field(default=None, compare=False)
    # When it was put on the bus (wall clock, bus/codec.py), for the bus lag's metric; None
    # for an event read from a log.
    sent_at: float | None = field(default=None, compare=False)

    @property
    def type(self) -> str:
        return str(self.payload.get("type", ""))

    def at(self, position: Position) -> Event:
        return replace(self, position=position)


def to_channel(workspace_id: str, channel_id: str, payload: dict[str, Any], **extra: Any) -> Event:
    return Event(workspace_id, "channel", payload, channel_id=channel_id, **extra)


def to_workspace(workspace_id: str, payload: dict[str, Any], **extra: Any) -> Event:
    return Event(workspace_id, "workspace", payload, **extra)


def to_user(workspace_id: str, user_id: str, payload: dict[str, Any], **extra: Any) -> Event:
    return Event(workspace_id, "user", payload, user_id=user_id, **extra)


# The edges' own event, never sent to a client: these tokens of `user_id` were revoked, so
# the sockets opened with them close (services/identity/revocation.py, docs/realtime.md). Not
# Slack's `tokens_revoked` (an Events API event naming users): it names tokens, by hash.
REVOCATION = "revocation"


def revocation(workspace_id: str, user_id: str, token_hashes: list[str]) -> Event:
    payload = {"type": REVOCATION, "tokens": sorted(token_hashes)}
    return to_user(workspace_id, user_id, payload)
