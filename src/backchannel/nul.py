"""U+0000, which PostgreSQL's text cannot hold (SQLite's can): dropped from what comes in, a
call's arguments, a webhook's payload, an import's texts, so that every backend stores and
looks up alike and no statement fails on it (docs/webapp.md#requests).

JSON holds one only as the escape \\u0000, a form or a query string only as %00: a body
without either is not walked.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
MARKS = (b"\\u0000", b"%00", b"\x00")  # how a U+0000 can arrive in a body


def may_hold_nul(raw: bytes) -> bool:
    return any(mark in raw for mark in MARKS)


def without_nul(value: T) -> T:
    """`value` with U+0000 dropped from every string in it (a parsed JSON value or a call's
    arguments: its arrays and objects are changed in place, walked without recursion)."""
    if isinstance(value, str):
        return value.replace("\x00", "")  # type: ignore[return-value]
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in list(pairs):
            if isinstance(child, str):
                if "\x00" in child:
                    item[key] = child.replace("\x00", "")
            elif isinstance(child, (dict, list)):
                stack.append(child)
    return value
