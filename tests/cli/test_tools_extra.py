"""The tools' dependencies are an extra (`backchannel[tools]`): without them the product's
commands all work, and `backchannel bench ...` / `backchannel loadgen` say in one line what
to install. "Without them" is a real `backchannel` process in which importing any of them
fails as it does when it is not installed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, clean_env
from tests.support.project import runtime_dependencies, tools_extra

INSTALL = "pip install 'backchannel[tools]'"


def without_tools(*args: str) -> subprocess.CompletedProcess[str]:
    """`backchannel ARGS` in a process where the tools' dependencies cannot be imported."""
    run = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({tools_extra()!r}))\n"
        "from backchannel.cli.main import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", run, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )


def test_the_extra_holds_what_the_tools_need_and_the_product_does_not() -> None:
    assert sorted(tools_extra()) == ["aiohttp", "matplotlib", "psutil"]
    assert not set(tools_extra()) & set(runtime_dependencies())


@pytest.mark.parametrize(
    "args",
    [
        ("bench", "api", "--duration", "1"),
        ("bench", "fanout", "--help"),
        ("bench",),
        ("loadgen", "--url", "http://127.0.0.1:8000", "--users", "3"),
    ],
)
def test_a_tool_without_its_dependencies_says_what_to_install(args: tuple[str, ...]) -> None:
    refused = without_tools(*args)
    assert_one_line_error(refused, f"backchannel {args[0]}", "is not installed", INSTALL)


def test_the_product_commands_work_without_the_tools(tmp_path: Path) -> None:
    listed = without_tools("--help")  # imports every command's module
    assert listed.returncode == 0, listed.stderr
    for command in ("serve", "db", "admin", "import", "export"):
        assert re.search(rf"^  {command} ", listed.stdout, re.MULTILINE), listed.stdout
    assert f"bench    (not installed: {INSTALL})" in listed.stdout
    storage = ["--data-dir", str(tmp_path / "data"), "--shards", "1"]
    made = without_tools(
        "admin", "create-workspace", "--name", "Acme", "--domain", "acme", *storage
    )
    assert made.returncode == 0, made.stderr
    status = without_tools("admin", "status", *storage)  # no live edge: nothing to scrape
    assert status.returncode == 0, status.stderr
    assert "acme" in status.stdout
