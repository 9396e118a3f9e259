"""Rows that cannot be rendered, written straight into storage (as an older version, a bad
import or a hand edit may have left them), never take a page down: every path that shows
them answers, without the rich part it cannot read, and logs one line naming the row
(docs/storage.md#json-columns)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import String, bindparam, text

from backchannel.interop.slack_export.writing import export_workspace
from backchannel.models import TokenInfo
from backchannel.ops import moves
from backchannel.router import ShardFor
from backchannel.services import ServiceContext
from backchannel.services.messaging import history, messages, reactions
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import RtmSocket, open_rtm

pytestmark = pytest.mark.engine  # what each engine stores and parses differs

SECRET = "poison-secret-words"  # in every poisoned value: it must never reach the log
DEEP = '{"type": "section", "x": "' + SECRET + '", "y": ' + "[" * 300 + "]" * 300 + "}"
# orjson refuses it (a number past a double); PostgreSQL's json type takes any JSON syntax.
NOT_JSON = '[{"type": "divider", "x": "' + SECRET + '", "n": 1e400}]'
NOT_JSON_SQLITE = "not JSON at all {" + SECRET
# A profile object whose fields are not what they should be.
WRONG_PROFILE = '{"status_expiration": 1e300, "status_text": ["' + SECRET + '"], "fields": [1]}'


@dataclass
class Poisoned:
    """#dev with alice's poisoned message (reacted to by her, with a poisoned reply by bob),
    and bob's poisoned profile."""

    variant: str
    channel: str
    ts: str
    reply_ts: str


def _variants(backend: str) -> dict[str, str]:
    """What a JSON column may hold that cannot be shown: too deep, not JSON, not a list."""
    return {
        "deep": f"[{DEEP}]",
        "not_json": NOT_JSON_SQLITE if backend == "sqlite" else NOT_JSON,
        "wrong_type": '"' + SECRET + '"',
    }


async def write_raw(ctx: ServiceContext, key: str, sql: str, **values: str) -> None:
    """A raw UPDATE on the shard that holds `key`; JSON values go in as the text given."""
    async with ctx.router.write(ShardFor(key)) as conn:
        statement = text(sql)
        if conn.dialect.name == "postgresql":
            statement = text(sql.replace(":json", "CAST(:json AS json)"))
        statement = statement.bindparams(*(bindparam(name, type_=String) for name in values))
        await conn.execute(statement, values)


async def poison_message(ctx: ServiceContext, channel: str, ts: str, value: str) -> None:
    """Every JSON column of the message holds `value`."""
    sql = "UPDATE messages SET {column} = :json WHERE channel_id = :channel AND ts = :ts"
    for column in ("blocks", "attachments", "icons", "metadata", "files"):
        await write_raw(ctx, channel, sql.format(column=column), json=value, channel=channel, ts=ts)


@pytest.fixture(params=["deep", "not_json", "wrong_type"])
async def poisoned(
    request: pytest.FixtureRequest, backend: str, ctx: ServiceContext, acme: Acme, dev: str
) -> Poisoned:
    workspace, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    root = await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text="poisoned root"
    )
    reply = await messages.post_message(
        ctx,
        workspace_id=workspace,
        user_id=bob,
        channel_id=dev,
        text="poisoned reply",
        thread_ts=root.ts,
    )
    await reactions.add_reaction(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, ts=root.ts, name="fire"
    )
    value = _variants(backend)[request.param]
    for ts in (root.ts, reply.ts):
        await poison_message(ctx, dev, ts, value)
    profile = value if request.param != "wrong_type" else WRONG_PROFILE
    sql = "UPDATE users SET profile = :json WHERE id = :user"
    await write_raw(ctx, workspace, sql, json=profile, user=bob)
    return Poisoned(request.param, dev, root.ts, reply.ts)


def _logged_rows(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(SECRET not in line for line in lines), lines
    return "\n".join(lines)


async def test_every_web_api_path_shows_a_poisoned_message_without_its_rich_part(
    poisoned: Poisoned,
    edge_url: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel, ts = poisoned.channel, poisoned.ts
    history = await alice.conversations_history(channel=channel, include_all_metadata=True)
    [shown] = [m for m in history["messages"] if m["ts"] == ts]
    assert shown["text"] == "poisoned root" and shown["reply_count"] == 1
    assert not {"blocks", "attachments", "icons", "metadata", "files"} & set(shown)
    thread = await alice.conversations_replies(channel=channel, ts=ts)
    assert [m["text"] for m in thread["messages"]] == ["poisoned root", "poisoned reply"]
    found = await alice.search_messages(query="poisoned")
    assert {m["ts"] for m in found["messages"]["matches"]} == {ts, poisoned.reply_ts}
    reacted = await alice.reactions_list()
    assert [item["message"]["ts"] for item in reacted["items"]] == [ts]
    assert (await alice.reactions_get(channel=channel, timestamp=ts))["message"]["ts"] == ts
    await alice.pins_add(channel=channel, timestamp=ts)
    assert [i["message"]["ts"] for i in (await alice.pins_list(channel=channel))["items"]] == [ts]
    await alice.chat_getPermalink(channel=channel, message_ts=ts)
    for client in (alice, bob):
        boot = await client.rtm_start()
        [dev] = [c for c in boot["channels"] if c["id"] == channel]
        assert dev["latest"]["ts"] == ts and "blocks" not in dev["latest"]
    assert f"{channel}/{ts}" in _logged_rows(caplog)


async def test_a_poisoned_profile_is_shown_without_what_cannot_be_shown(
    poisoned: Poisoned,
    acme: Acme,
    edge_url: str,
    alice: ValidatingAsyncWebClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bob_id = acme.bob.user.id
    assert (await alice.users_info(user=bob_id))["user"]["real_name"] == "Bob"
    listed = {u["id"]: u for u in (await alice.users_list())["members"]}
    shown = listed[bob_id]["profile"]
    assert (shown["status_text"], shown["status_expiration"], shown["fields"]) == ("", 0, {})
    assert (await alice.users_profile_get(user=bob_id))["profile"]["real_name"] == "Bob"
    assert bob_id in {u["id"] for u in (await alice.rtm_start())["users"]}
    # A profile that is an object keeps the fields that are right, without a word logged.
    assert (bob_id in _logged_rows(caplog)) == (poisoned.variant != "wrong_type")


async def _socket(ctx: ServiceContext, edge_url: str, acme: Acme, who: str) -> RtmSocket:
    person = getattr(acme, who).user.id
    return await open_rtm(ctx, edge_url, TokenInfo(person, acme.workspace.id, "user"))


async def test_the_edge_boots_and_answers_queries_over_poisoned_rows(
    poisoned: Poisoned, ctx: ServiceContext, acme: Acme, edge_url: str
) -> None:
    alice = await _socket(ctx, edge_url, acme, "alice")
    try:
        boot = await alice.ask("client.boot")
        assert boot["ok"] is True
        [dev] = [c for c in boot["channels"] if c["id"] == poisoned.channel]
        assert dev["latest"]["ts"] == poisoned.ts and "blocks" not in dev["latest"]
        found = await alice.ask("users.info", users=[acme.bob.user.id])
        assert [u["real_name"] for u in found["users"]] == ["Bob"]
    finally:
        await alice.close()


async def test_a_resume_replays_past_a_poisoned_event(
    backend: str,
    ctx: ServiceContext,
    acme: Acme,
    dev: str,
    edge_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bob = await _socket(ctx, edge_url, acme, "bob")
    token = str(bob.received[0]["resume"])
    await bob.close()
    workspace, alice = acme.workspace.id, acme.alice.user.id
    for variant, value in _variants(backend).items():
        await messages.post_message(
            ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text=variant
        )
        # The event just logged (the newest of the shard's log) is the one poisoned.
        sql = "UPDATE events SET payload = :json WHERE seq = (SELECT max(seq) FROM events)"
        await write_raw(ctx, workspace, sql, json=value if variant != "wrong_type" else "[1]")
    after = await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text="after the poison"
    )
    back = await open_rtm(
        ctx, edge_url, TokenInfo(acme.bob.user.id, workspace, "user"), resume=token
    )
    try:
        assert (await back.next("message"))["ts"] == after.ts
        assert all("type" in frame for frame in back.received)  # nothing sent for the poison
    finally:
        await back.close()
    assert "event " in _logged_rows(caplog)


async def test_an_export_writes_a_poisoned_message_without_its_rich_part(
    poisoned: Poisoned, ctx: ServiceContext, acme: Acme, tmp_path: Path
) -> None:
    out = tmp_path / "acme.zip"
    report = await export_workspace(ctx, workspace=acme.workspace.id, out=out)
    assert report.bytes > 0 and out.exists()


async def test_a_workspace_with_poisoned_rows_moves_to_another_shard(
    poisoned: Poisoned, ctx: ServiceContext, acme: Acme
) -> None:
    shards = sorted((await ctx.router.shard_map.refresh()).db_shards)
    target = next(name for name in shards if name != acme.db_shard)
    await moves.move_workspace(ctx, "acme", target)
    assert (await ctx.router.assignment(acme.workspace.id)).db_shard == target
    page = await history.channel_history(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=poisoned.channel
    )
    [moved] = [m for m in page.messages if m.ts == poisoned.ts]
    assert (moved.text, moved.blocks, moved.attachments) == ("poisoned root", None, None)
