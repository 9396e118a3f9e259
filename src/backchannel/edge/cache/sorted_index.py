"""Sorted lists the edge cache searches and pages by (docs/edge-cache.md): a name index of
(search key, id) pairs, a channel's member ids, a person's channel ids."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Item = TypeVar("Item", str, tuple[str, str])
Index = list[tuple[str, str]]


def find(ordered: Sequence[Item], item: Item) -> tuple[int, bool]:
    """Where `item` is, or would go, in a sorted sequence; and whether it is there."""
    at = bisect.bisect_left(ordered, item)
    return at, at < len(ordered) and ordered[at] == item


def remove(index: Index, entry: tuple[str, str]) -> None:
    at, present = find(index, entry)
    if present:
        del index[at]


def search(index: Index, prefix: str, limit: int, wanted: Callable[[str], bool]) -> list[str]:
    """Up to `limit` distinct ids whose key starts with `prefix` and that are `wanted`, in
    the order of their keys."""
    found: dict[str, None] = {}
    for key, item in _from(index, prefix):
        if not key.startswith(prefix):
            break
        if item not in found and wanted(item):
            found[item] = None
            if len(found) >= limit:
                break
    return list(found)


def _from(index: Index, prefix: str) -> Iterator[tuple[str, str]]:
    for at in range(bisect.bisect_left(index, (prefix, "")), len(index)):
        yield index[at]
