"""What pyproject.toml declares: the runtime dependencies and the tools' extra."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def _project() -> dict[str, Any]:
    return dict(tomllib.loads(PYPROJECT.read_text())["project"])


def _names(requirements: list[str]) -> list[str]:
    return [
        re.split(r"[^A-Za-z0-9_.-]", requirement, maxsplit=1)[0] for requirement in requirements
    ]


def runtime_dependencies() -> list[str]:
    """The distributions `pip install backchannel` brings."""
    return _names(_project()["dependencies"])


def tools_extra() -> list[str]:
    """The distributions of `backchannel[tools]`; the modules they are imported as have the
    same names (true of aiohttp, psutil and matplotlib: check when adding one)."""
    return _names(_project()["optional-dependencies"]["tools"])
