"""Importing a Slack export (interop/slack_export/importing.py): everything mapped and in place, a
rerun that imports nothing twice, a resumed import, and malformed exports reported with
reasons (docs/slack-export.md)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from backchannel.errors import InvalidArgument, NotFound
from backchannel.interop.slack_export.importing import import_slack_export, load_maps
from backchannel.interop.slack_export.reading import Limits
from backchannel.interop.slack_export.state import ImportSummary, Maps
from backchannel.models import Channel, Message, TokenInfo, Workspace
from backchannel.ops import moves
from backchannel.router import Main, ShardFor
from backchannel.services import ServiceContext
from backchannel.services.messaging import search
from backchannel.services.tenancy import workspaces
from backchannel.storage.main import credentials as credential_store
from backchannel.storage.schema import events, memberships, messages, reactions
from backchannel.storage.shard import channels, imports, users
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard.reactions import with_reactions_txn
from tests.conftest import SQLITE, Acme
from tests.support import slack_export as sample
from tests.support.slack_export import SlackExportFiles, sample_export


async def _workspace(ctx: ServiceContext, domain: str = "slackers") -> Workspace:
    return await workspaces.create_workspace(ctx, name=domain.title(), domain=domain)


async def _import(
    ctx: ServiceContext,
    files: SlackExportFiles,
    tmp_path: Path,
    domain: str = "slackers",
    **kw: Any,
) -> ImportSummary:
    path = files.write(tmp_path / f"export-{len(list(tmp_path.iterdir()))}.zip")
    return await import_slack_export(ctx, path, workspace=domain, **kw)


async def _messages(ctx: ServiceContext, channel_id: str) -> dict[str, Message]:
    async with ctx.router.read(ShardFor(channel_id)) as conn:
        found = await imports.messages_page_txn(conn, channel_id, after_ts="", limit=1000)
        return {m.ts: m for m in await with_reactions_txn(conn, found)}


async def _channel(ctx: ServiceContext, channel_id: str) -> tuple[Channel, list[str]]:
    async with ctx.router.read(ShardFor(channel_id)) as conn:
        found = await channels.get_channel_txn(conn, channel_id)
        members = await membership_store.members_txn(conn, channel_id, limit=100)
    assert found is not None
    return found, members


def _counts(summary: ImportSummary, column: str) -> dict[str, int]:
    return {kind: getattr(tally, column) for kind, tally in summary.tallies.items()}


async def test_an_export_is_imported_whole(ctx: ServiceContext, tmp_path: Path) -> None:
    """Every person, conversation, message, thread, reaction, edit and file link, with
    Slack's ids mapped to ours (SQLite and PostgreSQL: the bulk writes)."""
    target = await _workspace(ctx)
    summary = await _import(ctx, sample_export(), tmp_path)
    assert _counts(summary, "imported") == {
        "users": sample.USERS, "channels": sample.CONVERSATIONS - 1, "day files": sample.DAY_FILES,
        "messages": sample.MESSAGES, "replies": sample.REPLIES, "reactions": sample.REACTIONS,
        "files": sample.FILES, "blocks": 1, "attachments": 0,
    }  # fmt: skip
    assert summary.tallies["channels"].present == 1  # Slack's #general is ours
    assert (summary.skipped, summary.reasons, summary.notes) == (0, [], [])
    maps = await load_maps(ctx, target)
    alice, bob, carol = (maps.users[who] for who in (sample.ALICE, sample.BOB, sample.CAROL))
    await _check_people(ctx, target, maps)
    await _check_conversations(ctx, target, maps)

    general = await _messages(ctx, maps.channels[sample.GENERAL])
    root = general[sample.ROOT]
    assert root.text == f"Welcome everyone! <@{bob}> meet <@{carol}|carol>"
    assert (
        root.blocks is not None and bob in str(root.blocks) and sample.BOB not in str(root.blocks)
    )
    assert (root.user_id, root.thread_ts, root.reply_count) == (alice, sample.ROOT, 2)
    assert (root.reply_users, root.latest_reply) == ((bob, carol), sample.REPLY_2)
    reply = general[sample.REPLY_1]
    assert (reply.thread_ts, reply.parent_user_id) == (sample.ROOT, alice)
    assert reply.text == f"Thanks! <#{maps.channels[sample.DEV]}|dev> is where we work"
    assert general[sample.REPLY_2].reactions == {"tada": [alice, bob]}
    joined = next(m for m in general.values() if m.subtype == "channel_join")
    assert joined.user_id == carol
    edited = general[sample.EDITED]
    assert (edited.user_id, edited.edited_user) == (maps.users[sample.DAVE], edited.user_id)
    assert edited.edited_ts == sample.ts(sample.DAY + 180)
    bot = general[sample.BOT_POST]
    assert (bot.subtype, bot.bot_id, bot.user_id) == (
        "bot_message", maps.bots[sample.BOT_ID], maps.users[sample.BOT_USER]
    )  # fmt: skip
    assert (bot.username, bot.icons) == ("deploybot", {"image_48": sample.BOT_ICON})

    dev = await _messages(ctx, maps.channels[sample.DEV])
    shared = dev[sample.FILE_POST]
    assert shared.reactions == {"thumbsup": [bob, carol], "+1": [alice]}
    assert shared.attachments == [
        {"fallback": f"The plan: {sample.FILE_URL}", "title": "The plan",
         "title_link": sample.FILE_URL}
    ]  # fmt: skip
    assert (await _channel(ctx, maps.channels[sample.GENERAL]))[0].last_ts == sample.BOT_POST

    found = await search.search_messages(ctx, TokenInfo(alice, target.id, "user"), "plan")
    assert [match.message.ts for match in found.matches] == [sample.FILE_POST]
    await _check_no_message_events(ctx, target)


async def _check_people(ctx: ServiceContext, target: Workspace, maps: Maps) -> None:
    async with ctx.router.read(ShardFor(target.id)) as conn:
        found = {u.name: u for u in await users.list_users_txn(conn, target.id, limit=100)}
    assert sorted(found) == ["alice", "bob", "carol", "dave", "deploybot"]
    alice, bot = found["alice"], found["deploybot"]
    assert (alice.id, alice.is_owner, alice.is_admin) == (maps.users[sample.ALICE], True, True)
    assert (alice.real_name, alice.email, alice.tz) == (
        "Alice Archer", "alice@slackers.test", "Europe/Paris"
    )  # fmt: skip
    assert alice.profile["title"] == "Alice Archer's title"
    assert found["dave"].deleted and not found["bob"].deleted
    assert (bot.is_bot, bot.bot_id, bot.email) == (True, maps.bots[sample.BOT_ID], None)
    async with ctx.router.read(Main()) as conn:
        accounts = await credential_store.accounts_for_email_txn(conn, "alice@slackers.test")
    assert [(a.user_id, a.password_hash) for a in accounts] == [(alice.id, None)]


async def _check_conversations(ctx: ServiceContext, target: Workspace, maps: Maps) -> None:
    people = maps.users
    general, members = await _channel(ctx, maps.channels[sample.GENERAL])
    assert general.is_general and general.name == "general"
    assert sorted(members) == sorted(people[p] for p in (sample.ALICE, sample.BOB, sample.CAROL,
                                                          sample.DAVE))  # fmt: skip
    dev, members = await _channel(ctx, maps.channels[sample.DEV])
    assert (dev.name, dev.topic, dev.topic_creator) == (
        "dev",
        "Shipping things",
        people[sample.ALICE],
    )
    assert (dev.purpose, dev.purpose_creator) == ("Where we build", people[sample.BOB])
    assert dev.created == sample.START - 10 * sample.DAY and people[sample.BOT_USER] in members
    old, _ = await _channel(ctx, maps.channels[sample.OLD])
    assert old.is_archived
    secret, members = await _channel(ctx, maps.channels[sample.SECRET])
    assert secret.is_private and sorted(members) == sorted(
        [people[sample.ALICE], people[sample.CAROL]]
    )
    dm, members = await _channel(ctx, maps.channels[sample.DM])
    assert dm.is_im and sorted(members) == sorted([people[sample.ALICE], people[sample.BOB]])
    mpim, members = await _channel(ctx, maps.channels[sample.MPIM])
    assert mpim.is_mpim and len(members) == 3
    assert len(await _messages(ctx, mpim.id)) == 1


async def _check_no_message_events(ctx: ServiceContext, target: Workspace) -> None:
    """Channels and people are announced; messages are not (an import may be 100k)."""
    async with ctx.router.read(ShardFor(target.id)) as conn:
        payloads = await conn.scalars(
            select(events.c.payload).where(events.c.workspace_id == target.id)
        )
        kinds = sorted({payload["type"] for payload in payloads})
    assert "message" not in kinds
    assert {"team_join", "channel_created", "member_joined_channel", "group_joined", "im_created",
            "mpim_joined"} <= set(kinds)  # fmt: skip


async def _row_counts(ctx: ServiceContext, workspace_id: str) -> dict[str, int]:
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        mine = select(messages.c.channel_id).where(messages.c.workspace_id == workspace_id)
        counted = {}
        for table, where in (
            (messages, messages.c.workspace_id == workspace_id),
            (memberships, memberships.c.workspace_id == workspace_id),
            (reactions, reactions.c.channel_id.in_(mine)),
        ):
            counted[table.name] = int(
                await conn.scalar(select(func.count()).select_from(table).where(where))
            )
        counted["users"] = len(await users.list_users_txn(conn, workspace_id, limit=1000))
    return counted


@SQLITE
async def test_a_rerun_imports_nothing_twice(ctx: ServiceContext, tmp_path: Path) -> None:
    target = await _workspace(ctx)
    first = await _import(ctx, sample_export(), tmp_path)
    before = await _row_counts(ctx, target.id)
    again = await _import(ctx, sample_export(), tmp_path)
    assert _counts(again, "imported") == dict.fromkeys(_counts(first, "imported"), 0)
    present = _counts(first, "imported")
    present["channels"] += 1  # #general, present both times
    assert _counts(again, "present") == present
    assert await _row_counts(ctx, target.id) == before


@SQLITE
async def test_people_already_here_are_found_by_email(
    ctx: ServiceContext, acme: Acme, tmp_path: Path
) -> None:
    files = sample_export()
    files.json["users.json"][0]["profile"]["email"] = "Alice@Acme.test"
    summary = await _import(ctx, files, tmp_path, domain="acme")
    assert summary.tallies["users"].present == 1
    assert summary.notes == [
        f"{sample.ALICE} (Alice@Acme.test) is @alice, already here",
        "the name @bob was taken: imported as @bob-2",  # acme's bob has another email
    ]
    maps = await load_maps(ctx, acme.workspace)
    alice = acme.alice.user.id
    assert maps.users[sample.ALICE] == alice
    general = await _messages(ctx, maps.channels[sample.GENERAL])
    assert general[sample.ROOT].user_id == alice
    assert alice in (await _channel(ctx, maps.channels[sample.SECRET]))[1]


@SQLITE
async def test_an_interrupted_import_resumes_where_it_stopped(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    """Each day file commits on its own: an import stopped after two (here by its progress
    callback, as by Ctrl-C) has those two whole, and the next run does the rest."""
    target = await _workspace(ctx)

    def stop_after_two(phase: str, done: int, total: int) -> None:
        if phase == "messages" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await _import(ctx, sample_export(), tmp_path, progress=stop_after_two)
    maps = await load_maps(ctx, target)
    assert len(await _messages(ctx, maps.channels[sample.GENERAL])) == 6  # #general's two days
    assert len(await _messages(ctx, maps.channels[sample.DEV])) == 0
    rest = await _import(ctx, sample_export(), tmp_path)
    assert (rest.tallies["messages"].present, rest.tallies["replies"].present) == (4, 2)
    assert rest.tallies["messages"].imported == sample.MESSAGES - 4
    assert rest.tallies["day files"].imported == sample.DAY_FILES - 2


@SQLITE
async def test_a_moved_workspace_keeps_what_its_import_made(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    target = await _workspace(ctx)
    await _import(ctx, sample_export(), tmp_path)
    placed = (await ctx.router.assignment(target.id)).db_shard
    other = next(name for name in ctx.router.shard_map.current.db_shards if name != placed)
    await moves.move_workspace(ctx, target.id, other, grace=0)
    again = await _import(ctx, sample_export(), tmp_path)
    assert sum(_counts(again, "imported").values()) == 0


def _malformed() -> SlackExportFiles:
    files = sample_export()
    days = {name: value for name, value in files.json.items() if "/" in name}
    general_day_2 = next(name for name in days if name.startswith("general/2024-01-16"))
    files.json[general_day_2] += [
        {"type": "message", "text": "no ts"},
        {"type": "message", "text": "a bad ts", "ts": "yesterday"},
        {"type": "message", "user": "U0STRANGER", "text": "hi", "ts": sample.ts(sample.DAY + 900)},
        {"type": "message", "user": sample.BOB, "text": "orphan", "ts": sample.ts(sample.DAY + 901),
         "thread_ts": sample.ts(5)},
    ]  # fmt: skip
    dev = next(name for name in days if name.startswith("dev/"))
    files.json[dev][0]["reactions"].append({"name": "eyes", "users": ["U0GHOST"], "count": 1})
    files.json[dev][0]["reactions"].append({"name": "fire\n", "users": [sample.BOB], "count": 1})
    files.json[dev][1]["files"] = [{"id": "F0GONE", "name": "gone.txt", "mode": "hidden_by_limit"}]
    files.raw["dev/2024-01-16.json"] = b"[{not json"
    files.json["ghosts/2024-01-15.json"] = [
        {"type": "message", "user": sample.BOB, "ts": sample.ts(7)}
    ]
    files.raw["../escape.json"] = b"[]"
    secret = next(name for name in days if name.startswith("secret/"))
    files.json[secret][0]["text"] = "x" * 20_000
    return files


@SQLITE
async def test_a_malformed_export_is_imported_as_far_as_it_goes(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    target = await _workspace(ctx)
    summary = await _import(ctx, _malformed(), tmp_path, limits=Limits(member_bytes=10_000))
    reasons = {(r.kind, r.where.split("[")[0]): r.reason for r in summary.reasons}
    assert reasons[("day files", "../escape.json")].startswith("unsafe path")
    assert "not valid JSON" in reasons[("day files", "dev/2024-01-16.json")]
    assert "no conversation" in reasons[("day files", "ghosts/")]
    assert "larger than 10,000 bytes" in reasons[("day files", "secret/2024-01-17.json")]
    bad_ts = [r.reason for r in summary.reasons if r.kind == "messages"]
    assert bad_ts == ["no valid ts (got None)", "no valid ts (got 'yesterday')"]
    reacted = [r.reason for r in summary.reasons if r.kind == "reactions"]
    assert any("U0GHOST, not in users.json" in reason for reason in reacted)
    assert any("'fire\\n'" in reason and "not an emoji name" in reason for reason in reacted)
    assert "no link in the export" in reasons[("files", "dev/2024-01-15.json")]
    assert _counts(summary, "skipped") == {
        "users": 0, "channels": 0, "day files": 4, "messages": 2, "replies": 0, "reactions": 2,
        "files": 1, "blocks": 0, "attachments": 0,
    }  # fmt: skip
    assert summary.usable and len(summary.notes) == 2
    maps = await load_maps(ctx, target)
    stranger = maps.users["U0STRANGER"]
    unknown = "U0STRANGER is not in users.json: their messages are by @unknown-u0stranger"
    assert summary.notes[0] == unknown
    general = await _messages(ctx, maps.channels[sample.GENERAL])
    assert general[sample.ts(sample.DAY + 900)].user_id == stranger
    orphan = general[sample.ts(sample.DAY + 901)]
    assert orphan.thread_ts is None and "imported as a channel message" in summary.notes[1]
    async with ctx.router.read(ShardFor(target.id)) as conn:
        placeholder = await users.get_user_txn(conn, target.id, stranger)
    assert placeholder is not None and placeholder.deleted
    assert len(await _messages(ctx, maps.channels[sample.SECRET])) == 0
    assert sample.FILE_POST in await _messages(ctx, maps.channels[sample.DEV])


def _rich_day() -> bytes:
    """A day file of #dev (written as text: orjson writes no JSON 300 levels deep) whose
    messages carry blocks and attachments a post would refuse, and one it would take."""
    deep = "[" * 300 + "]" * 300
    image = '{"type": "image", "image_url": "https://example.com/a.png"}'  # no alt_text
    fine = '[{"type": "section", "text": {"type": "mrkdwn", "text": "fine"}}]'
    entries = [
        ("deep", f'"blocks": [{{"type": "section", "x": {deep}}}]'),
        ("unknown", '"blocks": [{"type": "sections"}]'),
        ("image", f'"attachments": [{{"blocks": [{image}]}}]'),
        ("fine", f'"blocks": {fine}'),
        ("nu\\u0000l", '"blocks": []'),  # Slack's messages may hold a U+0000: dropped
    ]
    messages = [
        f'{{"type": "message", "user": "{sample.BOB}", "text": "{text}", '
        f'"ts": "{sample.ts(2 * sample.DAY + n)}", {rich}}}'
        for n, (text, rich) in enumerate(entries)
    ]
    return ("[" + ", ".join(messages) + "]").encode()


async def test_blocks_and_attachments_a_post_refuses_are_left_out_and_counted(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    """services/messaging/block_kit.py decides, as for a post; the message comes with its text."""
    target = await _workspace(ctx)
    files = sample_export()
    dev = next(name for name in files.json if name.startswith("dev/")).split("/")[0]
    files.raw[f"{dev}/{sample.date_of(sample.ts(2 * sample.DAY))}.json"] = _rich_day()
    summary = await _import(ctx, files, tmp_path)
    assert (summary.tallies["blocks"].imported, summary.tallies["blocks"].skipped) == (2, 2)
    assert (summary.tallies["attachments"].skipped, summary.tallies["messages"].skipped) == (1, 0)
    reasons = [r.reason for r in summary.reasons if r.kind in ("blocks", "attachments")]
    assert any("nested more than 32 levels deep" in reason for reason in reasons)
    assert any("missing required field: alt_text" in reason for reason in reasons)
    maps = await load_maps(ctx, target)
    imported = {m.text: m for m in (await _messages(ctx, maps.channels[sample.DEV])).values()}
    assert [imported[text].blocks for text in ("deep", "unknown")] == [None, None]
    assert imported["image"].attachments is None and imported["fine"].blocks is not None
    assert "nul" in imported


@SQLITE
async def test_a_day_file_zipped_twice_is_read_in_both_copies(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    """A zip may hold one name twice (an export pieced together by hand): each copy is
    read, so neither copy's messages are lost, and what both hold is imported once."""
    await _workspace(ctx)
    files = sample_export()
    name = f"general/{sample.date_of(sample.ROOT)}.json"
    path = files.write(tmp_path / "twice.zip")
    root = next(m for m in files.json[name] if m["ts"] == sample.ROOT)
    late = {"type": "message", "user": sample.BOB, "text": "the second copy", "ts": sample.ts(700)}
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr(name, orjson.dumps([root, late]))
    summary = await import_slack_export(ctx, path, workspace="slackers")
    assert summary.tallies["day files"].imported == sample.DAY_FILES + 1
    assert summary.tallies["messages"].imported == sample.MESSAGES + 1
    maps = await load_maps(ctx, await workspaces.find_workspace(ctx, "slackers"))
    general = await _messages(ctx, maps.channels[sample.GENERAL])
    assert general[sample.ts(700)].text == "the second copy"
    assert general[sample.ROOT].reply_count == 2  # the first copy's thread, whole


@SQLITE
async def test_without_users_or_channels_what_can_be_is_imported(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    """No users.json: authors become placeholders, memberships and reactions go; no
    channels.json: the public channels' folders go; private channels still come."""
    await _workspace(ctx)
    files = sample_export()
    del files.json["users.json"], files.json["channels.json"]
    summary = await _import(ctx, files, tmp_path)
    reasons = {r.where: r.reason for r in summary.reasons}
    assert reasons["users.json"].startswith("missing: message authors become placeholder users")
    assert reasons["channels.json"] == "missing: the folders of public channels are skipped"
    assert "not both in users.json" in reasons[sample.DM]
    assert "fewer than 3 people" in reasons[sample.MPIM]
    assert "no conversation" in reasons["general/"]
    assert (summary.tallies["channels"].imported, summary.tallies["messages"].imported) == (1, 1)
    assert summary.tallies["users"].imported == 1  # carol, as a placeholder
    assert summary.usable

    nothing = SlackExportFiles(raw={"users.json": b"oops"})
    await _workspace(ctx, "empty")
    empty = await _import(ctx, nothing, tmp_path, domain="empty")
    assert not empty.usable and empty.tallies["users"].skipped == 1


@SQLITE
async def test_what_is_no_export_is_refused(ctx: ServiceContext, tmp_path: Path) -> None:
    await _workspace(ctx)
    not_zip = tmp_path / "export.zip"
    not_zip.write_text("hello")
    with pytest.raises(InvalidArgument, match="is not a zip file"):
        await import_slack_export(ctx, not_zip, workspace="slackers")
    with pytest.raises(InvalidArgument, match="no such file"):
        await import_slack_export(ctx, tmp_path / "missing.zip", workspace="slackers")
    path = sample_export().write(tmp_path / "fine.zip")
    with pytest.raises(NotFound, match="no workspace 'nowhere': create it first"):
        await import_slack_export(ctx, path, workspace="nowhere")
