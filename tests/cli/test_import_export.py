"""`backchannel import slack-export` and `backchannel export` through the real command: the
progress and the summary, one clear line for each bad request, a running server showing
what was imported, and a workspace that comes back unchanged from export and import
(docs/slack-export.md)."""

from __future__ import annotations

import asyncio
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from backchannel.config import StorageSettings
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels, direct_messages
from backchannel.services.identity import auth
from backchannel.services.messaging import messages, reactions
from backchannel.services.messaging.personas import Persona
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.conftest import opened
from tests.support.cli import Processes, assert_one_line_error, run_cli
from tests.support.rtm import RtmSocket
from tests.support.slack_export import SlackExportFiles, sample_export

WAIT = 30.0  # generous: a process starts, an edge reads a channel again
PAUSE = 0.05  # between two looks at the edge's cache (a poll, not a wait for an event)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """SQLite: the command's work is the same on PostgreSQL, where
    tests/services/test_slack_import.py imports too."""
    return tmp_path / "data"


def _args(data_dir: Path) -> list[str]:
    return ["--data-dir", str(data_dir), "--shards", "2"]


async def _workspaces(data_dir: Path, *domains: str) -> None:
    async with opened(StorageSettings(data_dir=data_dir, shards=2)) as backchannel:
        for domain in domains:
            await workspaces.create_workspace(backchannel.ctx, name=domain.title(), domain=domain)


def _ok(*args: str) -> Any:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result


async def test_import_shows_progress_and_a_summary_and_imports_nothing_twice(
    data_dir: Path, tmp_path: Path
) -> None:
    await _workspaces(data_dir, "slackers")
    export = str(sample_export().write(tmp_path / "slackers.zip"))
    done = _ok("import", "slack-export", export, "--workspace", "slackers", *_args(data_dir))
    assert "messages" in done.stderr and "7/7" in done.stderr  # the bars, on stderr
    rows = {line.split("│")[1].strip(): line.split("│")[2:5] for line in
            done.stdout.splitlines() if line.count("│") == 5}  # fmt: skip
    assert [cell.strip() for cell in rows["messages"]] == ["11", "0", "0"]
    assert [cell.strip() for cell in rows["reactions"]] == ["5", "0", "0"]
    assert "nobody can sign in as them yet" in done.stdout

    again = _ok("import", "slack-export", export, "--workspace", "slackers", "--json",
                *_args(data_dir))  # fmt: skip
    counts = json.loads(again.stdout)["counts"]
    assert {kind: tally["imported"] for kind, tally in counts.items()} == dict.fromkeys(counts, 0)
    assert (counts["messages"]["present"], counts["replies"]["present"]) == (11, 2)
    assert again.stderr == ""  # no bars with --json


async def test_an_imported_person_signs_in_once_given_a_password(
    data_dir: Path, tmp_path: Path
) -> None:
    await _workspaces(data_dir, "slackers")
    export = str(sample_export().write(tmp_path / "slackers.zip"))
    done = _ok("import", "slack-export", export, "--workspace", "slackers", *_args(data_dir))
    assert "admin set-password" in done.stdout
    setting = ("admin", "set-password", "--workspace", "slackers", *_args(data_dir))
    email = "alice@slackers.test"
    twice = "a long passphrase\na long passphrase\n"  # asked twice, read from stdin
    given = run_cli(*setting, "--email", email, "--json", stdin=twice)
    assert given.returncode == 0, given.stderr
    alice = json.loads(given.stdout.splitlines()[-1])["id"]
    async with opened(StorageSettings(data_dir=data_dir, shards=2)) as backchannel:
        token = await auth.sign_in(
            backchannel.ctx, workspace="slackers", email=email, password="a long passphrase"
        )
        assert (await auth.authenticate(backchannel.ctx, token)).user_id == alice
    short = run_cli(*setting, "--email", email, "--password", "short")
    assert_one_line_error(short, "password must be at least 8 characters")
    nobody = run_cli(*setting, "--email", "zed@slackers.test", "--password", "long enough")
    assert_one_line_error(nobody, "nobody signs in to slackers as zed@slackers.test")


async def test_bad_imports_are_one_clear_line(data_dir: Path, tmp_path: Path) -> None:
    await _workspaces(data_dir, "slackers")
    importing = ("import", "slack-export")
    missing = run_cli(*importing, str(tmp_path / "gone.zip"), "--workspace", "slackers",
                      *_args(data_dir))  # fmt: skip
    assert_one_line_error(missing, "no such file:", "gone.zip")
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip")
    refused = run_cli(*importing, str(not_zip), "--workspace", "slackers", *_args(data_dir))
    assert_one_line_error(refused, "notes.zip is not a zip file")
    export = str(sample_export().write(tmp_path / "slackers.zip"))
    nowhere = run_cli(*importing, export, "--workspace", "nowhere", *_args(data_dir))
    assert_one_line_error(nowhere, "no workspace 'nowhere': create it first")

    useless = SlackExportFiles(raw={"users.json": b"{", "channels.json": b"[]"})
    path = str(useless.write(tmp_path / "useless.zip"))
    nothing = run_cli(*importing, path, "--workspace", "slackers", "--json", *_args(data_dir))
    assert_one_line_error(nothing, f"nothing in {path} could be imported (1 skipped)")
    assert json.loads(nothing.stdout)["reasons"][0]["where"] == "users.json"


async def test_a_running_server_shows_what_is_imported(
    data_dir: Path, tmp_path: Path, processes: Processes
) -> None:
    """alice signed up before the import; her socket hears of the new channels, the edge's
    cache has them whole, and the Web API serves their history."""
    await _workspaces(data_dir, "slackers")
    made = _ok("admin", "create-user", "--workspace", "slackers", "--email", "alice@slackers.test",
               "--name", "Alice", "--json", *_args(data_dir))  # fmt: skip
    token = json.loads(made.stdout)["token"]
    server = await processes.started("--data-dir", str(data_dir))
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
        rtm = RtmSocket(await connect(str((await _call(http, token, "rtm.connect"))["url"])))
        assert (await rtm.next())["type"] == "hello"
        export = str(sample_export().write(tmp_path / "slackers.zip"))
        await asyncio.to_thread(
            _ok, "import", "slack-export", export, "--workspace", "slackers", *_args(data_dir)
        )
        listed = await _call(http, token, "conversations.list", types="public_channel")
        dev = next(c["id"] for c in listed["channels"] if c["name"] == "dev")
        created = await rtm.next("channel_created", within=WAIT)
        assert created["channel"] == {**created["channel"], "id": dev, "name": "dev"}
        assert await _topic_at_the_edge(rtm, dev) == "Shipping things"

        general = next(c["id"] for c in listed["channels"] if c["is_general"])
        history = await _call(http, token, "conversations.history", channel=general)
        texts = [m["text"] for m in history["messages"]]
        assert "Deployed v1.2" in texts and len(texts) == 4  # the replies are in the thread
        root = history["messages"][-1]
        assert root["user"] == json.loads(made.stdout)["id"] and root["reply_count"] == 2
        thread = await _call(http, token, "conversations.replies", channel=general, ts=root["ts"])
        replies = [m["text"] for m in thread["messages"][1:]]
        assert replies == [f"Thanks! <#{dev}|dev> is where we work", "Hello from the next day"]
        await rtm.close()


async def _call(http: httpx.AsyncClient, token: str, method: str, **form: str) -> Any:
    reply = await http.post(
        f"/api/{method}", data=form, headers={"Authorization": f"Bearer {token}"}
    )
    body = reply.json()
    assert body["ok"], (method, body)
    return body


async def _topic_at_the_edge(rtm: RtmSocket, channel_id: str) -> str:
    """The channel's topic in the edge's cache, once its re-read of the channel is in."""
    async with asyncio.timeout(WAIT):
        while True:
            found = await rtm.ask("channels.info", channels=[channel_id])
            topic = found["channels"][0]["topic"]["value"] if found["channels"] else ""
            if topic:
                return str(topic)
            await asyncio.sleep(PAUSE)


async def test_an_exported_workspace_imports_back_unchanged(data_dir: Path, tmp_path: Path) -> None:
    """Export acme, import it into the fresh beta, export beta: the same messages, threads
    and reactions, modulo ids."""
    async with opened(StorageSettings(data_dir=data_dir, shards=2)) as backchannel:
        await _acme(backchannel.ctx)
        await workspaces.create_workspace(backchannel.ctx, name="Beta", domain="beta")
    first, second = tmp_path / "acme.zip", tmp_path / "beta.zip"
    exported = _ok("export", "--workspace", "acme", "--out", str(first), *_args(data_dir))
    assert f"to {first}" in exported.stdout and "3 replies" in exported.stdout
    _ok("import", "slack-export", str(first), "--workspace", "beta", *_args(data_dir))
    report = _ok("export", "--workspace", "beta", "--out", str(second), "--json", *_args(data_dir))
    assert json.loads(report.stdout)["counts"]["reactions"] == 3
    before, after = _normalised(first), _normalised(second)
    assert after == before
    thread = next(m for day in before.values() for m in day if m.get("reply_count") == 2)
    assert (thread["reply_count"], thread["reply_users"]) == (2, ["@bob", "@alice"])
    secrets = first.read_bytes() + second.read_bytes()
    assert b"xoxp-" not in secrets and b"argon2" not in secrets


async def _acme(ctx: ServiceContext) -> None:
    """acme: alice and bob, a bot; a thread, reactions, an edit, a mention, a DM, a private
    channel; a root deleted with its replies left (a tombstone)."""
    team = await workspaces.create_workspace(ctx, name="Acme", domain="acme")
    alice = (await users.create_user(ctx, workspace="acme", email="a@acme.test", name="Alice")).user
    bob = (await users.create_user(ctx, workspace="acme", email="b@acme.test", name="Bob")).user
    carol = (await users.create_user(ctx, workspace="acme", email="c@acme.test", name="Carol")).user
    bot = await users.create_bot(ctx, workspace="acme", name="Builder")
    ops = await channels.create_channel(
        ctx, workspace_id=team.id, creator=alice.id, name="ops", is_private=True
    )
    await channels.invite_to_channel(
        ctx,
        workspace_id=team.id,
        inviter=alice.id,
        channel_id=ops.id,
        user_ids=[bob.id, bot.user.id],
    )

    async def post(who: str, channel: str, text: str, **extra: Any) -> str:
        posted = await messages.post_message(
            ctx, workspace_id=team.id, user_id=who, channel_id=channel, text=text, **extra
        )
        return posted.ts

    root = await post(alice.id, ops.id, f"deploy today? <@{bob.id}>")
    await post(bob.id, ops.id, "yes", thread_ts=root)
    await post(alice.id, ops.id, "great", thread_ts=root)
    icon = Persona(username="CI", icon_emoji=":white_check_mark:")
    await post(bot.user.id, ops.id, "build green", by_bot=True, persona=icon)
    for who, name in ((bob.id, "rocket"), (alice.id, "rocket"), (bob.id, "eyes")):
        await reactions.add_reaction(
            ctx, workspace_id=team.id, user_id=who, channel_id=ops.id, ts=root, name=name
        )
    fixed = await post(bob.id, ops.id, "typo")
    await messages.update_message(
        ctx, workspace_id=team.id, user_id=bob.id, channel_id=ops.id, ts=fixed, text="fixed"
    )
    gone = await post(bob.id, ops.id, "to be deleted")
    await post(alice.id, ops.id, "a reply that stays", thread_ts=gone)
    await messages.delete_message(
        ctx, workspace_id=team.id, user_id=bob.id, channel_id=ops.id, ts=gone
    )
    await post(alice.id, bob.id, "psst")  # a DM, by user id
    group = await direct_messages.open_conversation(
        ctx, workspace_id=team.id, user_id=carol.id, with_users=[alice.id, bob.id]
    )
    await post(carol.id, group.channel.id, "lunch?")


def _normalised(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The day files of an export with every id of its own replaced by a name."""
    with zipfile.ZipFile(path) as archive:
        people = orjson.loads(archive.read("users.json"))
        names = {person["id"]: f"@{person['name']}" for person in people}
        names |= {p["profile"]["bot_id"]: f"bot:{p['name']}" for p in people if p["is_bot"]}
        names[people[0]["team_id"]] = "TEAM"
        for listing in ("channels.json", "groups.json", "mpims.json", "dms.json"):
            for entry in orjson.loads(archive.read(listing)):
                members = "+".join(sorted(names[member] for member in entry["members"]))
                names[entry["id"]] = f"#{entry.get('name') or members}"
        ours = re.compile("|".join(map(re.escape, names)))

        def rename(text: str) -> str:
            return ours.sub(lambda match: names[match[0]], text)

        return {
            rename(name): orjson.loads(rename(archive.read(name).decode()))
            for name in archive.namelist()
            if "/" in name
        }
