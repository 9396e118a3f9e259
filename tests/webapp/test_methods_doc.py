"""docs/webapp.md's list of methods is the registry's: its count and every name in its table
(a name that starts with a dot continues the one before it, `.list` after
`conversations.create`)."""

from __future__ import annotations

import re
from pathlib import Path

from backchannel.webapp import methods  # noqa: F401  (registers every method)
from backchannel.webapp.registry import METHODS

DOC = Path(__file__).parents[2] / "docs" / "webapp.md"
_NAME = re.compile(r"`(\.?[a-z][a-zA-Z]*(?:\.[a-zA-Z]+)*)`")


def documented() -> tuple[int, list[str]]:
    """The count the Methods section states, and the names its table lists."""
    section = DOC.read_text().split("\n## Methods\n", 1)[1].split("\n## ", 1)[0]
    stated = re.search(r"^(\d+) methods, registered", section, re.MULTILINE)
    assert stated is not None, "docs/webapp.md's Methods section no longer says how many"
    names, last = [], ""
    for row in section.splitlines():
        cells = row.split(" | ")
        if not row.startswith("| ") or len(cells) < 2 or set(cells[1]) <= {"-", " "}:
            continue
        for name in _NAME.findall(cells[1]):
            if name.startswith("."):
                name = last.rsplit(".", 1)[0] + name
            elif "." not in name:
                continue  # a field of a reply, not a method
            names.append(name)
            last = name
    return int(stated.group(1)), names


def test_the_doc_lists_every_registered_method_once() -> None:
    count, names = documented()
    assert sorted(names) == sorted(METHODS)
    assert count == len(METHODS), f"docs/webapp.md says {count} methods; {len(METHODS)} are"
