"""`--topology etcd://...`: a whole deployment whose shard map and edge registry live in a
real etcd, through the real commands and a running server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from tests.support.cli import RunningServer, assert_one_line_error, run_cli


def _json(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_deployment_on_an_etcd_topology(tmp_path: Path, etcd_topology: str) -> None:
    data_dir = tmp_path / "data"
    where = ["--data-dir", str(data_dir), "--topology", etcd_topology]
    assert run_cli("db", "migrate", "--shards", "2", *where).returncode == 0
    made = [
        _json("admin", "create-workspace", "--name", name, "--domain", name, *where)
        for name in ("north", "south")
    ]
    assert [(w["db_shard"], w["ms_shard"]) for w in made] == [
        ("shard-0", "ms-0"),
        ("shard-1", "ms-1"),
    ]
    person = _json(
        "admin", "create-user", "--workspace", "south", "--email", "s@south.test",
        "--name", "Sam", *where,
    )  # fmt: skip
    shards = _json("admin", "shards", *where)
    placed = {s["name"]: [w["domain"] for w in s["workspaces"]] for s in shards["db_shards"]}
    assert placed == {"shard-0": ["north"], "shard-1": ["south"]}
    with sqlite3.connect(data_dir / "main.sqlite3") as main:  # the main DB holds none of it
        assert main.execute("SELECT count(*) FROM keyspaces").fetchone() == (0,)
        assert main.execute("SELECT count(*) FROM db_shards").fetchone() == (0,)

    with RunningServer("--port", "0", *where) as server:
        server.wait_for(" serving ")
        auth = {"Authorization": f"Bearer {person['token']}"}
        with httpx.Client(base_url=server.url, headers=auth) as http:
            channels = http.post("/api/conversations.list").json()["channels"]
            general = next(c["id"] for c in channels if c["name"] == "general")
            posted = http.post("/api/chat.postMessage", data={"channel": general, "text": "hi"})
            assert posted.json()["ok"], posted.text
            history = http.post("/api/conversations.history", data={"channel": general})
            assert [m["text"] for m in history.json()["messages"]] == ["hi"]


def test_an_unreachable_etcd_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(
        "db", "migrate", "--data-dir", str(tmp_path / "data"), "--topology", "etcd://127.0.0.1:1/x"
    )
    assert_one_line_error(result, "topology store etcd://127.0.0.1:1/x is unavailable")


def test_a_malformed_topology_url_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("db", "migrate", "--data-dir", str(tmp_path / "data"), "--topology", "zk://x")
    assert_one_line_error(result, "expected a topology like etcd://host:2379/prefix")
