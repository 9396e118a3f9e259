"""`serve --log-format json`: one JSON object a line, a line per call and per socket, and
nothing anyone would want kept out of a log: no token, password, ticket or message text."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.cli import RunningServer, assert_one_line_error, run_cli

PASSWORD = "correct-horse-battery"
SECRET_TEXT = "the vault combination is 31-41-59"


def _json(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def _open_and_close_socket(url: str) -> None:
    async with connect(url) as socket:
        assert json.loads(await socket.recv())["type"] == "hello"


async def _refused_socket(url: str) -> None:
    try:
        async with connect(url):
            raise AssertionError("a used ticket was accepted")
    except InvalidStatus as exc:
        assert exc.response.status_code == 401


def test_json_logs_record_calls_and_sockets_and_keep_secrets_out(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    team = _json("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *data)["id"]
    alice = _json(
        "admin", "create-user", "--workspace", "acme", "--email", "alice@acme.example",
        "--name", "Alice Archer", "--password", PASSWORD, *data,
    )  # fmt: skip
    token = alice["token"]
    with RunningServer("--log-format", "json", "--log-level", "info", *data) as server:
        server.wait_for("  edge: ")
        api = f"{server.url}/api/"
        assert httpx.get(f"{api}auth.test", params={"token": token}).json()["ok"]
        client = WebClient(token=token, base_url=api)
        general = client.conversations_list()["channels"][0]["id"]
        client.chat_postMessage(channel=general, text=SECRET_TEXT)
        try:
            client.chat_postMessage(channel="C0NOSUCH", text=SECRET_TEXT)
        except SlackApiError as exc:
            assert exc.response["error"] == "channel_not_found"
        signed_in = httpx.post(
            f"{server.url}/auth/signin",
            data={"email": "alice@acme.example", "password": PASSWORD},
        )
        assert signed_in.json()["ok"], signed_in.text
        browser_token = signed_in.json()["token"]
        socket_url = client.rtm_connect()["url"]
        asyncio.run(_open_and_close_socket(socket_url))
        asyncio.run(_refused_socket(socket_url))  # its handshake is refused, and logged
        assert server.stop(signal.SIGTERM) == 0
        assert server.process.stderr is not None
        written = server.process.stderr.read()

    entries = [json.loads(line) for line in written.splitlines()]
    calls = [e for e in entries if e["msg"] == "api call"]
    posts = [(e["status"], e["error"]) for e in calls if e["method"] == "chat.postMessage"]
    assert posts == [(200, None), (200, "channel_not_found")]
    assert {(e["team"], e["user"]) for e in calls if e["method"] == "auth.test"} == {
        (team, alice["id"])
    }
    assert all(e["level"] == "info" and e["logger"] == "backchannel.webapp" for e in calls)
    sockets = [(e["msg"], e["team"], e["user"]) for e in entries if e["msg"].startswith("socket")]
    assert sockets == [("socket opened", team, alice["id"]), ("socket closed", team, alice["id"])]
    assert [e["msg"] for e in entries if e["logger"] == "backchannel.serve"] == [
        "serving",
        "stopped",
    ]
    ticket = socket_url.split("ticket=", 1)[1]
    for secret in (token, browser_token, PASSWORD, SECRET_TEXT, ticket, token.split("-", 1)[1]):
        assert secret not in written


def test_an_unknown_log_format_in_the_config_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "backchannel.toml"
    config.write_text('[server]\nlog_format = "xml"\n')
    refused = run_cli("serve", "--port", "0", "--config", str(config), cwd=tmp_path)
    assert_one_line_error(refused, "log_format must be one of text, json, got 'xml'")
    assert not (tmp_path / "data").exists()
