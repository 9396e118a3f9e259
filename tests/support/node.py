"""The Node.js project of the tests (tests/node/: Slack's Node SDK and Bolt for JS, and
TypeScript), installed by scripts/test with `npm ci`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NODE_PROJECT = Path(__file__).parents[1] / "node"


def require_node(*packages: str) -> None:
    """Fail, never skip, when node or one of the npm `packages` is missing: a test that
    cannot run Slack's own code has not shown anything."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: install Node.js 20 or newer and npm")
    for package in packages:
        if not (NODE_PROJECT / "node_modules" / package).is_dir():
            pytest.fail(f"{package} is missing: run `npm ci` in tests/node (scripts/test does)")
