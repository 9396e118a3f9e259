"""How deeply a JSON value nests: the one measure that content checks on input
(services/messaging/block_kit.py) and storage's reads of JSON columns
(storage/json_values.py) share.

Walked with a stack, not recursion, so no depth a parser lets through can exhaust Python's.
"""

from __future__ import annotations

from typing import Any

JsonPath = tuple[str | int, ...]
# How deep content a client sends may nest (blocks, attachments, metadata): the deepest
# Block Kit needs about 12 levels.
MAX_INPUT_DEPTH = 32


def too_deep(value: Any, limit: int) -> JsonPath | None:
    """The path to an array or object nested more than `limit` levels deep in `value` (one
    at the top is level 1), or None when nothing in it nests that deep."""
    stack: list[tuple[Any, JsonPath]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            children: Any = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((child, (*path, key)) for key, child in children if _nests(child))
    return None


def json_pointer(path: JsonPath) -> str:
    """RFC 6901's pointer to `path` ("/blocks/0/text"), as Slack's errors name a field."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _nests(value: Any) -> bool:
    return isinstance(value, (dict, list))
