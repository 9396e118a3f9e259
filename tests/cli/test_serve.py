"""`backchannel serve`: the demo, Slack's SDK against it, clean stops, schema checks."""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from backchannel.config import StorageSettings
from backchannel.ops.deployment import open_router
from backchannel.storage import migrate
from tests.support.cli import RunningServer, assert_one_line_error, run_cli
from tests.support.s3 import CREDENTIALS


def test_demo_serves_slack_sdk_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with RunningServer("--demo", "--data-dir", str(data)) as server:
        server.wait_for(" serving ")
        created = server.wait_for("Demo created")
        assert "workspaces acme, acme-labs" in created
        assert int(created.rsplit(", ", 1)[1].split()[0]) >= 200  # "... 316 messages"
        assert "alice@acme.example" in server.wait_for("sign in with")
        assert "backchannel-demo" in server.wait_for("password:")
        token = server.wait_for("Authorization: Bearer").split("Bearer ")[1].split("'")[0]

        client = WebClient(token=token, base_url=f"{server.url}/api/")
        me = client.auth_test()
        assert (me["ok"], me["team"], me["user"]) == (True, "Acme HQ", "alice.archer")
        assert me["url"] == f"{server.url}/"
        assert client.api_test(hello="world")["args"] == {"hello": "world"}

        assert server.stop(signal.SIGTERM) == 0
        assert server.lines[-1] == "backchannel stopped"
    assert sorted(p.name for p in data.iterdir() if p.suffix == ".sqlite3") == [
        "main.sqlite3",
        "shard-0.sqlite3",
        "shard-1.sqlite3",
        "shard-2.sqlite3",
        "shard-3.sqlite3",
    ]

    # A second start finds the demo instead of making it again, and SIGINT stops it too.
    with RunningServer("--demo", "--data-dir", str(data)) as again:
        assert "Demo found" in again.wait_for("Demo ")
        again.wait_for("Authorization: Bearer")
        assert again.stop(signal.SIGINT) == 0
    shards = json.loads(run_cli("admin", "shards", "--json", "--data-dir", str(data)).stdout)
    domains = sorted(w["domain"] for s in shards["db_shards"] for w in s["workspaces"])
    assert domains == ["acme", "acme-labs"]


def test_serve_refuses_a_shard_whose_schema_is_behind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("db", "migrate", "--data-dir", str(data), "--shards", "3").returncode == 0

    async def downgrade_shard_2() -> None:
        router = await open_router(StorageSettings(data_dir=data), create=False, now=0.0)
        try:
            shard = router.shard_map.current.db_shards["shard-2"]
            await migrate.downgrade(router.pools.engines_for(shard), "shard", "-1")
        finally:
            await router.close()

    asyncio.run(downgrade_shard_2())
    head = migrate.head_revision("shard")
    previous = migrate.previous_revision("shard", head)
    refused = run_cli("serve", "--port", "0", "--data-dir", str(data))
    assert_one_line_error(
        refused, "shard shard-2 schema is 1 migration(s) behind", "run `backchannel db migrate`"
    )

    migrated = run_cli("db", "migrate", "--data-dir", str(data))
    assert migrated.returncode == 0, migrated.stderr
    assert f"migrated shard shard-2: {previous} -> {head}" in migrated.stdout
    with RunningServer("--data-dir", str(data)) as server:
        assert "3 shards" in server.wait_for("storage:")
        assert server.stop(signal.SIGTERM) == 0


def test_shards_only_apply_to_a_new_data_dir(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert run_cli("db", "migrate", "--data-dir", data, "--shards", "2").returncode == 0
    assert_one_line_error(
        run_cli("serve", "--port", "0", "--data-dir", data, "--shards", "5"),
        "this deployment has 2 shards",
    )


def test_a_new_deployment_says_how_to_make_the_first_workspace_and_person(
    tmp_path: Path,
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    with RunningServer(*data) as server:
        server.wait_for("no workspace yet")
        steps = [server.wait_for("    backchannel admin") for _ in range(3)]
        signing_in = server.wait_for("then open")
        assert f"then open {server.url}/ in a browser" in signing_in
        # Run each as printed (the server runs on): the password is asked for, here on a pipe.
        for step in steps:
            words = shlex.split(step)[1:]
            done = run_cli(*words, stdin="my long passphrase\n")
            assert done.returncode == 0, done.stderr
        email = signing_in.rsplit(" as ", 1)[1]
        signed_in = httpx.post(
            f"{server.url}/auth/signin", data={"email": email, "password": "my long passphrase"}
        )
        assert signed_in.json()["ok"], signed_in.text
        server.stop(signal.SIGTERM)

    with RunningServer(*data) as again:  # a workspace now: nothing more to say
        again.wait_for("  edge: ")
        assert again.stop(signal.SIGTERM) == 0
        assert not [line for line in again.lines if "workspace" in line]


def test_a_bad_files_setting_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for files, expected in [
        ("/srv/files", "'/srv/files' is not an S3 URL; expected s3://bucket"),
        ("s3://Bad_Bucket?endpoint=http://x", "'Bad_Bucket' is not an S3 bucket name"),
        ("s3://files?endpoint=ftp://host", "endpoint 'ftp://host' is not an http(s) URL"),
        ("s3://files?endpont=http://host", "'s3://files?endpont=http://host' has unknown"),
    ]:
        result = run_cli("serve", "--port", "0", "--data-dir", str(data), "--files", files)
        assert_one_line_error(result, f"files: {expected}")
    config = tmp_path / "backchannel.toml"
    config.write_text('[storage]\nfiles = "s3://"\n')
    result = run_cli("serve", "--port", "0", "--data-dir", str(data), "--config", str(config))
    assert_one_line_error(result, "files: 's3://' is not an S3 URL")
    assert not data.exists()


def test_an_unreachable_object_store_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = "s3://team-files?endpoint=http://127.0.0.1:1"
    where = ["serve", "--port", "0", "--data-dir", str(tmp_path / "data"), "--files", files]
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    result = run_cli(*where)
    assert_one_line_error(
        result, "files: cannot use s3://team-files/ at http://127.0.0.1:1: EndpointConnectionError"
    )
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in result.stderr
