"""`backchannel admin status` through the real command, against a real `backchannel serve`,
on SQLite and PostgreSQL: the shards, the live edge and its sockets scraped from its
/metrics, the webapp's calls; then, the server killed, the edge unreachable or stale."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from backchannel.config import StorageSettings
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.cli.conftest import PASSWORD
from tests.conftest import opened
from tests.support.cli import PROCESS_WAIT, RunningServer, assert_one_line_error, run_cli


def _ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


async def _token(storage_args: list[str]) -> str:
    """A person's token, in a new workspace `acme` (made in this process: quicker than two
    more commands)."""
    flags = dict(zip(storage_args[::2], storage_args[1::2], strict=True))
    main = flags.get("--database-url")
    storage = StorageSettings(data_dir=Path(flags.get("--data-dir", "data")), database_url=main)
    async with opened(storage) as backchannel:
        ctx = backchannel.ctx
        await workspaces.create_workspace(ctx, name="Acme", domain="acme")
        made = await users.create_user(ctx, workspace="acme", email="alice@acme.test", name="A")
    return made.token


async def test_status_shows_shards_edges_and_what_they_carry(storage_args: list[str]) -> None:
    with RunningServer(*storage_args) as server:
        await asyncio.to_thread(server.wait_for, "  edge: ", PROCESS_WAIT)
        token = await _token(storage_args)
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{server.url}/api/rtm.connect", data={"token": token})
        async with connect(answer.json()["url"]):
            status = ["admin", "status", *storage_args]
            shown, human = await asyncio.gather(
                asyncio.to_thread(_ok, *status, "--json", "--url", server.url),
                asyncio.to_thread(_ok, *status),
            )

        report = json.loads(shown.stdout)
        assert [s["name"] for s in report["db_shards"]] == ["shard-0", "shard-1"]
        assert all(s["available"] for s in report["db_shards"])
        assert report["workspaces"] == 1
        [edge] = report["edges"]
        assert (edge["url"], edge["live"]) == (server.edge_url, True)
        assert edge["metrics"]["sockets"] == 1
        assert edge["unreachable"] is None
        webapp = report["webapp"]["metrics"]
        assert (webapp["requests"], webapp["errors"]) == (1, 0)  # the rtm.connect
        for line in ("shard-0", "shard-1", "acme", server.edge_url, "live"):
            assert line in human.stdout
        assert PASSWORD not in shown.stdout + human.stdout

        server.kill()
        after = await asyncio.to_thread(_ok, *status, "--url", server.url)
    row = next(line for line in after.stdout.splitlines() if server.edge_url in line)
    assert "unreachable" in row or "stale" in row, after.stdout
    assert f"webapp {server.url}: unreachable" in after.stdout


def test_a_bad_webapp_url_is_one_line(tmp_path: Path) -> None:
    refused = run_cli("admin", "status", "--data-dir", str(tmp_path), "--url", "ftp://example")
    assert_one_line_error(refused, "--url", "http://host")
