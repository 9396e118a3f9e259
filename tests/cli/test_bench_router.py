"""`backchannel bench router`: a small real run; the figures are not judged, only their sense."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import assert_one_line_error, run_cli

TINY = ["--ops", "20", "--burst", "8", "--rounds", "2"]
OPS = ["get_user_txn", "history_txn", "set_presence_txn"]
SIDES = ["plain", "router"]
OVERHEAD_COLUMNS = ["op", "side", "n", "mean_us", "p50_us", "p99_us", "ratio", "p50_ratio"]
BURST_COLUMNS = [
    "reads",
    "bursts",
    "burst",
    "mean_ms",
    "p50_ms",
    "p99_ms",
    "statements",
    "shared",
    "gain",
    "p50_gain",
]


def _table_rows(stdout: str) -> list[list[str]]:
    """The cells of every row of every table printed (header rows too)."""
    lines = [line for line in stdout.splitlines() if line.startswith("┃") or line.startswith("│")]
    return [[cell.strip() for cell in line.strip("┃│").split(line[0])] for line in lines]


def test_router_prints_the_overhead_and_the_consolidation_tables() -> None:
    result = run_cli("bench", "router", *TINY, timeout=600)
    assert result.returncode == 0, result.stderr
    overhead_header, *rest = _table_rows(result.stdout)
    assert overhead_header == OVERHEAD_COLUMNS
    overhead, (burst_header, separate, shared) = rest[:6], rest[6:]
    assert [(row[0], row[1]) for row in overhead] == [(op, side) for op in OPS for side in SIDES]
    for row in overhead:
        assert float(row[3]) > 0 and 0 < float(row[4]) <= float(row[5])
        if row[1] == "plain":
            assert row[6:] == ["-", "-"]
        else:
            assert float(row[6]) > 0 and float(row[7]) > 0
    assert burst_header == BURST_COLUMNS
    assert [separate[0], shared[0]] == ["separate", "shared"]
    assert float(shared[3]) > 0 and float(separate[3]) > 0
    assert float(separate[6]) == 8  # statements a burst
    assert 1 <= float(shared[6]) < 8
    assert separate[8:] == ["-", "-"] and float(shared[8]) > 0
    assert "router/plain, mean per op: get_user_txn " in result.stdout
    assert "a burst of 8 identical reads" in result.stdout


def test_router_json_counts_what_consolidation_saved() -> None:
    result = run_cli("bench", "router", *TINY, "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {(row["op"], row["side"]): row for row in report["rows"]}
    assert rows[OPS[0], "plain"]["n"] == 40 and rows[OPS[2], "router"]["n"] == 4  # a tenth
    assert set(report["ratios"]) == set(OPS) and len(report["round_ratios"][OPS[1]]) == 2
    separate, shared = report["consolidation"]
    # Two bursts a round (20 ops over bursts of 8), in 2 rounds.
    assert separate["bursts"] == shared["bursts"] == 4
    assert separate["statements"] == 8 and separate["shared"] == 0
    assert 1 <= shared["statements"] < 8 and shared["statements"] + shared["shared"] == 8


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ops", "0"], "expected --ops 1-1000000"),
        (["--burst", "1"], "--burst 2-10000"),
        (["--rounds", "101"], "--rounds 1-100"),
    ],
)
def test_bad_options_are_one_line_errors(flags: list[str], message: str) -> None:
    assert_one_line_error(run_cli("bench", "router", *flags), message)
