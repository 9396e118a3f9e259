"""The test command checks the web client (docs/web-client.md, "Checks"): its JSDoc types
with TypeScript (`tsc --checkJs`, installed in tests/node/ by scripts/test), its store's
unit tests with Node's test runner (tests/webclient/), and that only the store writes its
state."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.node import NODE_PROJECT, require_node

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "src" / "backchannel" / "webclient"
TSC = NODE_PROJECT / "node_modules" / ".bin" / "tsc"
UNIT_TESTS = ROOT / "tests" / "webclient"


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


def _node_tests(*files: Path) -> subprocess.CompletedProcess[str]:
    require_node()
    return subprocess.run(
        ["node", "--test", "--test-reporter=tap", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _counts(tap: str) -> dict[str, int]:
    """The runner's closing counts: pass, fail, cancelled..."""
    return {name: int(n) for name, n in re.findall(r"^# (\w+) (\d+)$", tap, re.MULTILINE)}


def test_the_store_passes_its_unit_tests() -> None:
    result = _node_tests(*sorted(UNIT_TESTS.glob("*.test.mjs")))
    counts = _counts(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert counts.get("pass", 0) > 0 and counts.get("fail") == 0, counts


def test_a_failing_unit_test_fails_the_run(tmp_path: Path) -> None:
    store = (CLIENT / "js" / "store.js").as_uri()
    planted = tmp_path / "planted.test.mjs"
    planted.write_text(
        "import assert from 'node:assert/strict';\n"
        "import { test } from 'node:test';\n"
        f"import {{ state }} from '{store}';\n"
        "test('a conversation never loaded', () => assert.ok(state.conversations.has('C1')));\n"
    )
    result = _node_tests(planted)
    assert result.returncode != 0
    assert _counts(result.stdout).get("fail") == 1, result.stdout


def _opened_from_outside(js: Path) -> list[str]:
    """Modules other than store.js that import store/ (its writable `data` and `emit`)."""
    return sorted(
        str(path.relative_to(js))
        for path in js.rglob("*.js")
        if path.parent.name != "store"
        and path.name != "store.js"
        and re.search(r"""['"](\.{1,2}/)+store/""", path.read_text())
    )


def test_only_the_store_opens_store_modules() -> None:
    assert _opened_from_outside(CLIENT / "js") == []


def test_an_import_of_the_writable_state_is_found(tmp_path: Path) -> None:
    js = tmp_path / "js"
    shutil.copytree(CLIENT / "js", js)
    planted = "import { data } from './store/state.js';\ndata.openId = 'C1';\n"
    (js / "planted.js").write_text(planted)
    assert _opened_from_outside(js) == ["planted.js"]
