"""`backchannel bench fanout`: a small real run of both servers; the figures are not judged."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import assert_one_line_error, run_cli


def test_fanout_measures_both_servers_and_their_ratio() -> None:
    flags = ["--clients", "20", "--duration", "1", "--rounds", "2", "--json"]
    result = run_cli("bench", "fanout", *flags, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["server"]: row for row in report["rows"]}
    assert list(rows) == ["baseline", "backchannel"]
    for row in rows.values():
        assert row["clients"] == 20
        assert row["deliveries_per_s"] > 0
        assert row["missed"] == 0  # every post reached every socket, in both phases
        assert row["p50_ms"] > 0 and row["p99_ms"] >= row["p50_ms"]
    assert report["ratio"] > 0
    assert [len(r) for r in report["rounds_deliveries_per_s"].values()] == [2, 2]


def test_one_server_prints_a_table_without_a_ratio() -> None:
    result = run_cli("bench", "fanout", "--only", "baseline", "--clients", "5", "--duration", "0.5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("deliveries_per_s" in line for line in lines), result.stdout
    rows = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert rows == ["baseline"], result.stdout
    assert "backchannel/baseline" not in result.stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--clients", "0"], "--clients must be 1 or more, got 0"),
        (["--duration", "0.1"], "--duration must be 0.5 seconds or more"),
        (["--rate", "0"], "--rate must be above 0"),
        (["--rounds", "0"], "--rounds must be between 1 and 20, got 0"),
        (["--clients", "4", "--processes", "5"], "--processes must be between 1 and --clients"),
        (["--only", "redis"], "--only must be baseline or backchannel, got 'redis'"),
    ],
)
def test_bad_options_are_one_line_errors(flags: list[str], message: str) -> None:
    assert_one_line_error(run_cli("bench", "fanout", *flags), message)
