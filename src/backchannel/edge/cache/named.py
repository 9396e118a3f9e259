"""The users, bots and channels an event names, so that a lean socket is sent each of them
once, before the first event that names it (docs/edge-cache.md, Flannel's just-in-time
objects)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MENTION = re.compile(r"<([@#])([A-Z][A-Z0-9]{2,15})(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Named:
    """The ids an event names, and the objects it carries whole (the client has those)."""

    users: tuple[str, ...] = ()
    bots: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.bots or self.channels or self.carried)


def named(payload: dict[str, Any]) -> Named:
    """The users, bots and channels an event's payload names."""
    users: list[str] = []
    bots: list[str] = []
    channels: list[str] = []
    carried: list[str] = []
    for part in _parts(payload):
        for key in ("user", "inviter", "item_user"):
            value = part.get(key)
            if isinstance(value, str):
                users.append(value)
            elif isinstance(value, dict) and isinstance(value.get("id"), str):
                carried.append(value["id"])
        bot_id = part.get("bot_id")
        if isinstance(bot_id, str):
            bots.append(bot_id)
        channel = part.get("channel")
        if isinstance(channel, str):
            channels.append(channel)
        elif isinstance(channel, dict) and isinstance(channel.get("id"), str):
            # A whole conversation (group_joined, im_created) is the object itself, and
            # names its people: a DM's other person, a group DM's members.
            (carried if "is_im" in channel else channels).append(channel["id"])
            if isinstance(channel.get("user"), str):
                users.append(channel["user"])
            users.extend(m for m in channel.get("members") or () if isinstance(m, str))
        text = part.get("text")
        if isinstance(text, str) and "<" in text:
            for sigil, named_id in MENTION.findall(text):
                (users if sigil == "@" else channels).append(named_id)
    return Named(tuple(users), tuple(bots), tuple(channels), tuple(carried))


def _parts(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The event, and the message inside an edit (message_changed, message_replied)."""
    yield payload
    inner = payload.get("message")
    if isinstance(inner, dict):
        yield inner
