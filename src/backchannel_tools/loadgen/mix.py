"""What a simulated person does, and how often: the table of docs/loadgen.md#the-mix.

Every person picks their next action by these weights after each think time; the socket
actions only for people who hold a socket (the others pick among the rest, in the same
proportions).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

HISTORY = "conversations.history"
POST = "chat.postMessage"
REPLY = "chat.postMessage (reply)"
REACT = "reactions.add"
TYPING = "typing"
LIST = "conversations.list"
USER_INFO = "users.info"
RECONNECT = "reconnect"
# Recorded, but not picked from the mix: a connected person's first socket, and a socket
# the server closed (an error only).
CONNECT = "connect"
SOCKET = "socket"


@dataclass(frozen=True)
class Action:
    name: str
    weight: int
    needs_socket: bool = False


MIX: tuple[Action, ...] = (
    Action(HISTORY, 40),  # opening a channel, scrolling back
    Action(POST, 16),
    Action(REPLY, 6),  # in a thread of a message seen earlier
    Action(REACT, 12),
    Action(TYPING, 14, needs_socket=True),
    Action(LIST, 4),  # the channel browser
    Action(USER_INFO, 5),  # a profile opened
    Action(RECONNECT, 3, needs_socket=True),  # a laptop lid, a flaky network
)

# What the report reports on, in this order: the mix, then the socket's own rows.
ACTIONS: tuple[str, ...] = (*(action.name for action in MIX), CONNECT, SOCKET)
# Whose latency is a Web API round trip: the "overall" latency of the report.
HTTP_ACTIONS = frozenset({HISTORY, POST, REPLY, REACT, LIST, USER_INFO})


class Chooser:
    """Draws actions by weight, from the whole mix or from the actions without a socket."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._with_socket = _weighted(MIX)
        self._without = _weighted(tuple(action for action in MIX if not action.needs_socket))

    def next(self, *, connected: bool) -> Action:
        actions, cumulative = self._with_socket if connected else self._without
        return self._rng.choices(actions, cum_weights=cumulative)[0]


def _weighted(actions: tuple[Action, ...]) -> tuple[tuple[Action, ...], list[int]]:
    return actions, list(itertools.accumulate(action.weight for action in actions))
