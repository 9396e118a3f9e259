"""JSON columns (blocks, attachments, profiles, event payloads): written with orjson, as the
API answers, and read back so that one value that cannot be shown never fails a whole read
(docs/storage.md#json-columns).

A column's text that orjson cannot read, or that nests deeper than MAX_DEPTH, reads as
UNREADABLE; each table's row reader keeps what it can show and logs the row's ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, TypeGuard, TypeVar

import orjson

from backchannel.nesting import too_deep

log = logging.getLogger(__name__)

T = TypeVar("T")

# Above anything stored on purpose (Block Kit is checked to 32 levels, an event wraps a
# message in a few more) and far below the 254 levels orjson writes, with the few that a
# reply, a frame or the bus wraps a stored value in.
MAX_DEPTH: Final = 64


class Unreadable:
    """What a JSON column reads as when its text cannot be shown again."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Final = Unreadable()


def json_dumps(value: Any) -> str:
    """A value for a JSON column; UNREADABLE (a row copied as read) is written as null."""
    return orjson.dumps(value, default=_null_if_unreadable).decode()


def json_loads(raw: Any) -> Any:
    """A JSON column's value, or UNREADABLE: never an error, which would fail the whole
    read (asyncpg decodes a row's columns as it receives them)."""
    if not isinstance(raw, str):
        return UNREADABLE  # SQLite keeps whatever a raw statement put there
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return UNREADABLE
    # No value nests deeper than it has brackets: most are read without the walk.
    if raw.count("[") + raw.count("{") > MAX_DEPTH and too_deep(value, MAX_DEPTH) is not None:
        return UNREADABLE
    return value


def readable(value: Any, shape: Callable[[Any], TypeGuard[T]], column: str, row: str) -> T | None:
    """`value` if it is NULL or has the shape the column's readers expect; otherwise None,
    with one log line naming the column and the row, never the value (it may be a
    message's content)."""
    if value is None or (value is not UNREADABLE and shape(value)):
        return value
    what = "not JSON, or nested too deep" if value is UNREADABLE else type(value).__name__
    log.warning("%s of %s cannot be shown (%s): left out", column, row, what)
    return None


def is_object(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def is_object_list(value: Any) -> TypeGuard[list[dict[str, Any]]]:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def is_string_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _null_if_unreadable(value: Any) -> None:
    if value is UNREADABLE:
        return None
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
