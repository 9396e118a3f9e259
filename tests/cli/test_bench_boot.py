"""`backchannel bench boot`: a small real run; the figures are not judged, only their sense."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import assert_one_line_error, run_cli

QUERIES = ["users.search", "users.info", "channels.search", "conversations.members"]


def test_boot_compares_rtm_start_with_the_lean_boot_and_times_the_queries() -> None:
    flags = ["--sizes", "200", "--warm", "5", "--cold", "1", "--queries", "10", "--json"]
    result = run_cli("bench", "boot", *flags, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    full, lean = report["rows"]
    assert [full["boot"], lean["boot"]] == ["rtm.start", "lean"]
    for row in (full, lean):
        assert row["people"] == 200 and row["channels"] == 40
        assert len(row["cold_ms"]) == 1 and row["cold_ms"][0] > 0
        assert row["warm_n"] == 5
        assert 0 < row["p50_ms"] <= row["p99_ms"]
    # The booting person is in 30 of 40 channels, but rtm.start lists all 200 people.
    assert 0 < lean["bytes"] < full["bytes"]
    assert lean["smaller"] == round(full["bytes"] / lean["bytes"], 1)
    assert 0 < lean["frame_p50_ms"] <= lean["frame_p99_ms"] <= lean["p99_ms"]
    assert full["frame_p50_ms"] is None
    assert [row["query"] for row in report["queries"]] == QUERIES
    for row in report["queries"]:
        assert row["n"] == 10
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["results"] > 0, row


def test_boot_prints_two_tables() -> None:
    flags = ["--sizes", "60", "--warm", "1", "--cold", "1", "--queries", "1"]
    result = run_cli("bench", "boot", *flags, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = [line.split("│")[1:4] for line in result.stdout.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows[:2]] == [
        ["60", "40", "rtm.start"],
        ["60", "40", "lean"],
    ]
    assert [row[1].strip() for row in rows[2:]] == QUERIES
    assert "building 60 people" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sizes", "10"], "--sizes must be numbers of people from 50 to 200000"),
        (["--sizes", "1500,lots"], "got '1500,lots'"),
        (["--warm", "0"], "expected --warm 1-10000"),
        (["--cold", "21"], "--cold 1-20"),
    ],
)
def test_bad_options_are_one_line_errors(flags: list[str], message: str) -> None:
    assert_one_line_error(run_cli("bench", "boot", *flags), message)
