"""The test command checks the web client's JSDoc types with TypeScript (`tsc --checkJs`,
installed in tests/node/ by scripts/test): docs/web-client.md, "Checks"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "src" / "backchannel" / "webclient"
NODE_PROJECT = ROOT / "tests" / "node"
TSC = NODE_PROJECT / "node_modules" / ".bin" / "tsc"


def _tsc(client: Path) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        pytest.fail("TypeScript is missing: run `npm ci` in tests/node (scripts/test does)")
    return subprocess.run(
        [str(TSC), "--project", str(client / "jsconfig.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_client_type_checks() -> None:
    result = _tsc(CLIENT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_type_error_or_a_write_to_the_state_fails_the_check(tmp_path: Path) -> None:
    client = tmp_path / "webclient"
    shutil.copytree(CLIENT, client)
    (client / "js" / "planted.js").write_text(
        "import { state } from './store.js';\n"
        "/** @type {number} */\n"
        "export const count = 'three';\n"
        "export function open() {\n"
        "  state.openId = 'C1';\n"
        "}\n"
    )
    result = _tsc(client)
    assert result.returncode != 0
    # Each line is reported: the type error, and the write outside the store.
    assert "planted.js(3," in result.stdout and "TS2322" in result.stdout, result.stdout
    assert "planted.js(5," in result.stdout and "TS2540" in result.stdout, result.stdout
