"""`serve --log-format json`: one JSON object a line, a line per call and per socket, and
nothing anyone would want kept out of a log: no token, password, ticket or message text."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sqlite3
from pathlib import Path

import asyncpg
import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.cli import RunningServer, assert_one_line_error, run_cli

PASSWORD = "correct-horse-battery"
SECRET_TEXT = "the vault combination is 31-41-59"
COOKIE = "a-browser-session-cookie-value"
# Every new message refused by the database itself, so that the statement writing one fails
# there with its bound values (the text among them) in hand. PostgreSQL's refusal quotes the
# failing row (DETAIL), SQLite's names the trigger.
REFUSE_MESSAGES = {
    "sqlite": "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages "
    "BEGIN SELECT RAISE(ABORT, 'refuse_messages'); END",
    "postgresql": "ALTER TABLE messages ADD CONSTRAINT refuse_messages CHECK (text = '') NOT VALID",
}


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


def _refuse_new_messages(storage_args: list[str]) -> None:
    if "--data-dir" in storage_args:
        data = Path(storage_args[storage_args.index("--data-dir") + 1])
        for shard in data.glob("shard-*.sqlite3"):
            with contextlib.closing(sqlite3.connect(shard)) as db:
                db.execute(REFUSE_MESSAGES["sqlite"])
        return
    urls = [url for flag, url in itertools.pairwise(storage_args) if flag == "--shard-url"]

    async def alter() -> None:
        for url in urls:
            db = await asyncpg.connect(url)
            await db.execute(REFUSE_MESSAGES["postgresql"])
            await db.close()

    asyncio.run(alter())


async def _send_frames_with_text(url: str, channel: str) -> list[dict]:
    """Frames that carry the text: a message the database refuses, a ping that echoes it, a
    type nobody knows and a frame that is no JSON; the replies they get."""
    async with connect(url, additional_headers={"Cookie": f"d={COOKIE}"}) as socket:
        assert json.loads(await socket.recv())["type"] == "hello"
        frames = [
            {"type": "message", "id": 1, "channel": channel, "text": SECRET_TEXT},
            {"type": "ping", "id": 2, "note": SECRET_TEXT},
            {"type": SECRET_TEXT, "id": 3},
        ]
        for frame in frames:
            await socket.send(json.dumps(frame))
        await socket.send(f"not json: {SECRET_TEXT}")
        return [json.loads(await socket.recv()) for _ in range(4)]


def test_no_message_text_reaches_the_log_at_debug_level_even_when_a_write_fails(
    storage_args: list[str],
) -> None:
    _json("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *storage_args)
    token = _json(
        "admin", "create-user", "--workspace", "acme", "--email", "alice@acme.example",
        "--name", "Alice Archer", *storage_args,
    )["token"]  # fmt: skip
    _refuse_new_messages(storage_args)
    with RunningServer("--log-level", "debug", *storage_args) as server:
        server.wait_for("  edge: ")
        client = WebClient(token=token, base_url=f"{server.url}/api/")
        general = client.conversations_list()["channels"][0]["id"]
        try:
            client.chat_postMessage(channel=general, text=SECRET_TEXT)
            raise AssertionError("the database took the message")
        except SlackApiError as exc:
            assert exc.response.status_code == 500
            assert exc.response["error"] == "internal_error"
        replies = asyncio.run(_send_frames_with_text(client.rtm_connect()["url"], general))
        assert server.stop(signal.SIGTERM) == 0
        assert server.process.stderr is not None
        written = server.process.stderr.read() + "\n".join(server.lines)

    assert [reply.get("reply_to") for reply in replies] == [1, 2, 3, None]
    assert replies[0]["error"]["msg"] == "internal_error"
    words = [word for word in SECRET_TEXT.split() if len(word) > 4]  # a text cut short too
    for part in (*words, COOKIE):
        assert part not in written
    # The failures are logged, with the database's reason and the statement, and the frames
    # by their type and size.
    assert "chat.postMessage failed unexpectedly" in written
    assert "message frame from" in written
    assert written.count("refuse_messages") >= 2
    assert "INSERT INTO messages" in written
    assert "< TEXT [99 bytes]" in written
