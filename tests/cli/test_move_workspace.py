"""`backchannel admin move-workspace` through the real command: the report, the progress a
human sees, and one clear line for each bad request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import assert_one_line_error, run_cli


@pytest.fixture
def storage_args(tmp_path: Path) -> list[str]:
    """SQLite: the command's own work is the same on PostgreSQL, where
    tests/services/test_moves.py moves workspaces under load."""
    return ["--data-dir", str(tmp_path / "data"), "--shards", "2"]


def _ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_move_a_workspace_and_see_it_on_the_other_shard(storage_args: list[str]) -> None:
    _ok("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *storage_args)
    _ok(
        "admin", "create-user", "--workspace", "acme", "--email", "a@acme.test",
        "--name", "Alice", *storage_args,
    )  # fmt: skip
    moved = json.loads(
        _ok("admin", "move-workspace", "acme", "--to", "shard-1", "--grace", "0", "--json",
            *storage_args)
    )["moved"]  # fmt: skip
    assert [(m["source"], m["target"], m["cleaned_up"]) for m in moved] == [
        ("shard-0", "shard-1", True)
    ]
    assert moved[0]["rows"]["users"] == 1 and moved[0]["rows"]["channels"] == 1
    shards = json.loads(_ok("admin", "shards", "--json", *storage_args))
    placed = {s["name"]: [w["domain"] for w in s["workspaces"]] for s in shards["db_shards"]}
    assert placed == {"shard-0": [], "shard-1": ["acme"]}

    back = run_cli("admin", "move-workspace", "acme", "--to", "shard-0", "--grace", "0",
                   *storage_args)  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert "moved T" in back.stdout and "from shard-1 to shard-0" in back.stdout
    assert "acme: copy" in back.stderr  # the progress bar, on stderr


def test_bad_moves_are_one_clear_line(storage_args: list[str]) -> None:
    _ok("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *storage_args)
    move = ("admin", "move-workspace", "acme", "--to")
    assert_one_line_error(run_cli(*move, "shard-7", *storage_args), "no DB shard named 'shard-7'")
    assert_one_line_error(run_cli(*move, "shard-0", *storage_args), "already on shard-0")
    nowhere = run_cli("admin", "move-workspace", "nowhere", "--to", "shard-1", *storage_args)
    assert_one_line_error(nowhere, "nowhere")
