"""Slack-style ids and message timestamps.

Every id of an object that lives on a shard (workspace, user, bot, channel) carries the
*keyspace* of the workspace that owns it: a small integer assigned when the workspace is
created. The router maps a keyspace to a shard through the shard map, so any id resolves to
its shard without a lookup table (Vitess calls this a functional vindex). Moving a workspace
to another shard changes the shard map, never the ids. See docs/router.md.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

# Crockford's base32: digits and upper-case letters without I, L, O, U, so ids read aloud well.
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEYSPACE_CHARS: Final = 5
RANDOM_CHARS: Final = 5
MAX_KEYSPACE: Final = len(ALPHABET) ** KEYSPACE_CHARS - 1

# One letter per kind of object, as Slack uses them.
ORG: Final = "E"
WORKSPACE: Final = "T"
USER: Final = "U"
BOT: Final = "B"
PUBLIC_CHANNEL: Final = "C"
PRIVATE_CHANNEL: Final = "G"
DIRECT_MESSAGE: Final = "D"
SHARED_INVITE: Final = "I"  # a Slack Connect invitation (main DB only)
APP: Final = "A"  # a Slack app installed in a workspace (main DB; keyed by its workspace)
FILE: Final = "F"  # an uploaded file (on its uploader's workspace's shard)
KEYED_PREFIXES: Final = frozenset(
    {WORKSPACE, USER, BOT, PUBLIC_CHANNEL, PRIVATE_CHANNEL, DIRECT_MESSAGE, APP, FILE}
)

_KEYED_ID = re.compile(
    rf"^[{''.join(sorted(KEYED_PREFIXES))}][{ALPHABET}]{{{KEYSPACE_CHARS + RANDOM_CHARS}}}$"
)
_TS = re.compile(r"^\d{1,10}\.\d{6}$")


class InvalidId(ValueError):
    """An id that is not of the form this server issues."""


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def new_keyed_id(prefix: str, keyspace: int) -> str:
    """A fresh id for an object owned by the workspace with this keyspace."""
    if prefix not in KEYED_PREFIXES:
        raise ValueError(f"expected one of {sorted(KEYED_PREFIXES)} as prefix, got {prefix!r}")
    if not 0 <= keyspace <= MAX_KEYSPACE:
        raise ValueError(f"keyspace must be within 0..{MAX_KEYSPACE}, got {keyspace}")
    return prefix + _encode(keyspace, KEYSPACE_CHARS) + _random_chars(RANDOM_CHARS)


def new_org_id() -> str:
    """Organisations live in the main DB only, so their ids carry no keyspace."""
    return ORG + _random_chars(KEYSPACE_CHARS + RANDOM_CHARS)


def new_invite_id() -> str:
    """Invitations live in the main DB only: no keyspace, all random."""
    return SHARED_INVITE + _random_chars(KEYSPACE_CHARS + RANDOM_CHARS)


def is_keyed_id(value: str) -> bool:
    return bool(_KEYED_ID.match(value))


def keyspace_of(keyed_id: str) -> int:
    """The keyspace a keyed id belongs to; InvalidId for anything else."""
    if not isinstance(keyed_id, str) or not _KEYED_ID.match(keyed_id):
        raise InvalidId(f"not a Backchannel id: {keyed_id!r}")
    number = 0
    for char in keyed_id[1 : 1 + KEYSPACE_CHARS]:
        number = number * len(ALPHABET) + ALPHABET.index(char)
    return number


def format_ts(micros: int) -> str:
    """Slack's message id: seconds and microseconds, "1732412345.000100"."""
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{seconds}.{fraction:06d}"


def ts_at(seconds: float) -> str:
    """A moment (seconds since the epoch, as the clock gives it) as a Slack ts: event_ts."""
    return format_ts(int(seconds * 1_000_000))


def parse_ts(ts: str) -> int:
    """Microseconds since the epoch of a Slack ts; ValueError when malformed."""
    if not isinstance(ts, str) or not _TS.match(ts):
        raise ValueError(f"expected a message ts like '1732412345.000100', got {ts!r}")
    seconds, fraction = ts.split(".")
    return int(seconds) * 1_000_000 + int(fraction)


def next_ts(now: float, last_ts: str | None) -> str:
    """A ts for a new message: the clock, but always after the channel's last one."""
    micros = int(now * 1_000_000)
    if last_ts is not None:
        micros = max(micros, parse_ts(last_ts) + 1)
    return format_ts(micros)
