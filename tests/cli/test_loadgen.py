"""`backchannel loadgen` against a real `serve` subprocess: its report, the messages it says
it posted really being there, its people reused by a second run; bad options and hosts
other than loopback refused in one line. No figure is judged (the machine is shared)."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import COMMAND, RunningServer, assert_one_line_error, clean_env, run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOTS = ("throughput.png", "latency.png", "delivery_lag.png")


@contextmanager
def _serving(*storage: str) -> Iterator[RunningServer]:
    with RunningServer("--no-rate-limits", *storage) as running:
        running.wait_for("  edge: ")
        yield running


def _loadgen(url: str, storage: list[str], out: Path, *flags: str) -> dict[str, Any]:
    result = run_cli("loadgen", "--url", url, *storage, "--out", str(out), "--quiet", *flags)
    assert result.returncode == 0, result.stderr
    assert f"report: {out / 'report.json'}" in result.stdout
    return dict(json.loads((out / "report.json").read_text()))


def _observer(storage: list[str], domain: str, email: str) -> str:
    """A token of someone else in the workspace, to look at it through the Web API."""
    flags = ["--workspace", domain, "--email", email, "--name", "Observer", "--json"]
    made = run_cli("admin", "create-user", *flags, *storage)
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


def _api(url: str, token: str, method: str, **fields: str) -> dict[str, Any]:
    reply = httpx.post(
        f"{url}/api/{method}", data=fields, headers={"Authorization": f"Bearer {token}"}
    )
    body = dict(reply.json())
    assert body["ok"], body
    return body


def _messages_posted(url: str, token: str) -> int:
    """Every message of the workspace's public channels with a client_msg_id (the
    loadgen's), thread replies included."""
    channels = _api(url, token, "conversations.list", types="public_channel", limit="200")
    total = 0
    for channel in channels["channels"]:
        latest = None
        while True:
            page_fields = {"channel": channel["id"], "limit": "200"}
            if latest is not None:
                page_fields["latest"] = latest
            page = _api(url, token, "conversations.history", **page_fields)
            mine = [m for m in page["messages"] if "client_msg_id" in m]
            total += sum(1 + m.get("reply_count", 0) for m in mine)
            if not page["has_more"]:
                break
            latest = page["messages"][-1]["ts"]
    return total


def test_a_run_reports_what_it_did_and_a_second_reuses_its_people(tmp_path: Path) -> None:
    storage = ["--data-dir", str(tmp_path / "data"), "--shards", "2"]
    first = ["--users", "30", "--connected-fraction", "0.5", "--duration", "4", "--rate", "100"]
    second = ["--users", "30", "--connected-fraction", "0", "--duration", "1", "--rate", "60"]
    with _serving(*storage) as running:
        report = _loadgen(running.url, storage, tmp_path / "report", *first)
        again = _loadgen(running.url, storage, tmp_path / "again", *second)
        token = _observer(storage, "loadgen", "observer@example.test")
        people = _api(running.url, token, "users.list", limit="200")["members"]
        posted_there = _messages_posted(running.url, token)

    settings = report["settings"]
    assert (settings["users"], settings["connected_fraction"], settings["duration"]) == (30, 0.5, 4)
    assert report["population"]["users_created"] == 30
    actions = report["actions"]
    for name in ("conversations.history", "chat.postMessage", "reactions.add", "typing"):
        assert actions[name]["ok"] > 0, name
    assert report["summary"]["delivery_lag_ms"]["count"] > 0
    assert report["summary"]["sockets_max"] == 15
    assert report["series"] and all("latency_ms" in row for row in report["series"])
    for name in PLOTS:
        image = (tmp_path / "report" / name).read_bytes()
        assert image.startswith(PNG_MAGIC) and len(image) > 10_000, name

    population = again["population"]
    assert (population["users_created"], population["users_reused"]) == (0, 30)
    assert (population["channels_created"], population["memberships_added"]) == (0, 0)
    emails = sorted(person["profile"].get("email", "") for person in people)
    assert [e for e in emails if e.endswith("@loadgen.test")] == sorted(
        f"user{n}@loadgen.test" for n in range(30)
    )
    posted = report["summary"]["posts_acknowledged"] + again["summary"]["posts_acknowledged"]
    assert posted_there >= posted > 0


def test_ctrl_c_ends_the_run_early_and_still_writes_the_report(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    out = tmp_path / "report"
    flags = ["--users", "10", "--connected-fraction", "0.5", "--duration", "120", "--rate", "20"]
    with _serving(*data) as running:
        loadgen = subprocess.Popen(
            [*COMMAND, "loadgen", "--url", running.url, *data, "--out", str(out), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        try:
            assert loadgen.stderr is not None
            # Not a terminal: a progress line every few seconds once the load runs.
            for line in loadgen.stderr:
                if line.startswith("loadgen: elapsed"):
                    break
            loadgen.send_signal(signal.SIGINT)
            stdout, _ = loadgen.communicate(timeout=60)
        finally:
            loadgen.kill()
    assert loadgen.returncode == 0
    assert "(stopped early)" in stdout
    summary = json.loads((out / "report.json").read_text())["summary"]
    assert summary["stopped_early"] is True
    assert 0 < summary["load_s"] < 120
    assert summary["actions"] > 0
    assert all((out / name).exists() for name in PLOTS)


@pytest.mark.parametrize("storage_args", ["postgresql"], indirect=True)
def test_a_run_on_postgresql(storage_args: list[str], tmp_path: Path) -> None:
    with _serving(*storage_args) as running:
        flags = ["--users", "6", "--connected-fraction", "0.5", "--duration", "1", "--rate", "30"]
        report = _loadgen(running.url, storage_args, tmp_path / "report", *flags)
    assert report["population"]["users_created"] == 6
    assert report["summary"]["actions"] > 0


def test_only_loopback_is_loaded(tmp_path: Path) -> None:
    result = run_cli("loadgen", "--url", "http://example.com", "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(result, "loadgen only targets loopback", "'example.com'")
    assert not (tmp_path / "data").exists()


def test_a_server_that_does_not_answer_is_one_line_before_anything_is_made(
    tmp_path: Path,
) -> None:
    result = run_cli("loadgen", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, "cannot reach the server at http://127.0.0.1:9 (connection)")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--users", "0"], "--users must be between 1 and 100000, got 0"),
        (["--connected-fraction", "1.5"], "--connected-fraction must be between 0 and 1, got 1.5"),
        (["--duration", "-1"], "--duration must be above 0"),
    ],
)
def test_bad_options_are_one_line_errors(flags: list[str], message: str) -> None:
    result = run_cli("loadgen", "--url", "http://127.0.0.1:9", *flags)
    assert_one_line_error(result, message)
