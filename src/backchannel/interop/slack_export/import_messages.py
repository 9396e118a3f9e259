"""Importing a Slack export's messages, day file by day file (docs/slack-export.md).

Messages keep Slack's ts, so those already in the channel are found by their key and left
alone: a rerun imports nothing twice, and an interrupted import resumes. Each batch (a day
file, or MESSAGE_BATCH of its messages) is one transaction: its messages with their
reactions and file links, the thread counts of the roots it touches, and the channel's
newest ts. No event per message: clients see the history when they read it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backchannel.interop.slack_export.import_users import placeholder_txn
from backchannel.interop.slack_export.reading import SlackExport, folder_of
from backchannel.interop.slack_export.records import DayFile, Skip, SlackMessage
from backchannel.interop.slack_export.state import ImportSummary, Maps, Progress
from backchannel.models import Workspace
from backchannel.router import ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.messaging import block_kit
from backchannel.services.validation import MAX_EMOJI_NAME, is_emoji_name
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import imports
from backchannel.storage.shard import messages as store
from backchannel.types import parse_ts

MESSAGE_BATCH = 500
_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)((?:\|[^>]*)?)>")
_CHANNEL_REF = re.compile(r"<#([CGD][A-Z0-9]+)((?:\|[^>]*)?)>")


@dataclass
class _Batch:
    """What one batch did, counted into the summary once it committed."""

    tallies: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind: (new, there)
    skips: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)

    def count(self, kind: str, *, imported: int = 0, present: int = 0) -> None:
        new, there = self.tallies.get(kind, (0, 0))
        self.tallies[kind] = (new + imported, there + present)


async def import_messages(
    ctx: ServiceContext,
    target: Workspace,
    export: SlackExport,
    maps: Maps,
    summary: ImportSummary,
    tell: Progress,
) -> None:
    work = []
    for channel in export.channels:
        folder = folder_of(export, channel)
        if folder is None:
            continue
        if channel.id in maps.channels:
            work.append((maps.channels[channel.id], export.day_files[folder]))
        else:
            count = len(export.day_files[folder])
            reason = f"{channel.label} was not imported: its {count} day file(s) are skipped"
            summary.skip(Skip("day files", f"{folder}/", reason, count=count))
    total, done = sum(len(days) for _, days in work), 0
    tell("messages", 0, total)
    for channel_id, days in work:
        for day in days:
            await _import_day(ctx, target, export, channel_id, day, maps, summary)
            done += 1
            tell("messages", done, total)


async def _import_day(
    ctx: ServiceContext,
    target: Workspace,
    export: SlackExport,
    channel_id: str,
    day: DayFile,
    maps: Maps,
    summary: ImportSummary,
) -> None:
    found, skips = export.read_day(day)
    for skip in skips:
        summary.skip(skip)
    if any(skip.kind == "day files" for skip in skips):
        return
    fresh = 0
    for start in range(0, len(found), MESSAGE_BATCH):
        part = found[start : start + MESSAGE_BATCH]
        batch = await _import_batch(ctx, target, channel_id, part, day, maps)
        fresh += sum(batch.tallies.get(kind, (0, 0))[0] for kind in ("messages", "replies"))
        maps.users.update(batch.placeholders)
        for kind, (new, there) in batch.tallies.items():
            summary.count(kind, imported=new, present=there)
        for skip in batch.skips:
            summary.skip(skip)
        for note in batch.notes:
            summary.note(note)
    summary.count("day files", imported=int(fresh > 0), present=int(fresh == 0))


async def _import_batch(
    ctx: ServiceContext,
    target: Workspace,
    channel_id: str,
    found: Sequence[SlackMessage],
    day: DayFile,
    maps: Maps,
) -> _Batch:
    batch = _Batch()
    async with ctx.router.write(ShardFor(target.id)) as conn:
        await store.lock_channel_txn(conn, channel_id)  # posts meanwhile wait: thread counts
        seen = set(await imports.authors_txn(conn, channel_id, {m.ts for m in found}))
        fresh = []
        for message in found:  # a ts met twice: the first one is the message
            if message.ts in seen:
                _count_present(batch, message)
            else:
                seen.add(message.ts)
                fresh.append(message)
        authors = await _authors_txn(ctx, conn, target, fresh, maps, batch, ctx.clock())
        roots = await _roots_txn(conn, channel_id, fresh, authors)
        rows = [
            _row(target.id, channel_id, m, authors[m.ts], roots, maps, batch, day) for m in fresh
        ]
        await imports.insert_messages_txn(conn, rows)
        await _reactions_txn(conn, channel_id, fresh, maps, batch, day)
        for root_ts in sorted({row["thread_ts"] for row in rows if row["thread_ts"]}):
            await store.recount_thread_txn(conn, channel_id, root_ts)
        if rows:
            await imports.raise_last_ts_txn(conn, channel_id, max(row["ts"] for row in rows))
    return batch


def _count_present(batch: _Batch, message: SlackMessage) -> None:
    batch.count("replies" if message.is_reply else "messages", present=1)
    batch.count("blocks", present=int(bool(message.blocks)))
    batch.count("attachments", present=int(bool(message.attachments)))
    kept = [people for name, people in message.reactions if is_emoji_name(name)]
    batch.count("reactions", present=sum(len(people) for people in kept))
    batch.count("files", present=len(message.files))


async def _authors_txn(
    ctx: ServiceContext,
    conn: Transaction,
    target: Workspace,
    fresh: Sequence[SlackMessage],
    maps: Maps,
    batch: _Batch,
    now: float,
) -> dict[str, str | None]:
    """Each new message's author here: the person, the bot's user, or a placeholder made
    now for an author users.json does not list."""
    authors: dict[str, str | None] = {}
    for message in fresh:
        slack_id = message.user
        if slack_id is None:
            authors[message.ts] = maps.bot_users.get(message.bot_id or "")
            continue
        if slack_id not in maps.users and slack_id not in batch.placeholders:
            made = await placeholder_txn(ctx, conn, target, slack_id, now)
            batch.placeholders[slack_id] = made.id
            batch.count("users", imported=1)
            batch.notes.append(
                f"{slack_id} is not in users.json: their messages are by @{made.name}"
            )
        authors[message.ts] = maps.users.get(slack_id) or batch.placeholders[slack_id]
    return authors


async def _roots_txn(
    conn: Conn, channel_id: str, fresh: Sequence[SlackMessage], authors: dict[str, str | None]
) -> dict[str, str | None]:
    """The thread roots the new replies may hang from: ts -> author, those already in the
    channel and the new ones."""
    roots = {m.ts: authors[m.ts] for m in fresh if not m.is_reply}
    wanted = {m.thread_ts for m in fresh if m.is_reply and m.thread_ts not in roots}
    roots.update(await imports.authors_txn(conn, channel_id, {ts for ts in wanted if ts}))
    return roots


def _row(
    workspace_id: str,
    channel_id: str,
    message: SlackMessage,
    author: str | None,
    roots: dict[str, str | None],
    maps: Maps,
    batch: _Batch,
    day: DayFile,
) -> dict[str, Any]:
    thread_ts, parent = message.thread_ts, None
    if message.is_reply:
        if thread_ts in roots:  # Slack's parent_user_id outlives a root deleted since
            parent = maps.person(message.parent_user_id) or roots[thread_ts]
        else:
            batch.notes.append(
                f"{day.where}: the thread {thread_ts} of reply {message.ts} is not in the "
                "export: imported as a channel message"
            )
            thread_ts = None
    batch.count("replies" if message.is_reply else "messages", imported=1)
    edited_user = maps.person(message.edited_user) or author
    return {
        "channel_id": channel_id,
        "ts": message.ts,
        "workspace_id": workspace_id,
        "user_id": author,
        "bot_id": maps.bots.get(message.bot_id or ""),
        "subtype": message.subtype,
        "text": rewrite_text(message.text, maps),
        "thread_ts": thread_ts,
        "reply_count": 0,  # the roots are counted afresh from what is there
        "reply_users": None,
        "parent_user_id": parent,
        "latest_reply": None,
        "reply_broadcast": message.subtype == "thread_broadcast" and parent is not None,
        "blocks": _rich(message, "blocks", maps, batch, day),
        "attachments": _attachments(message, maps, batch, day),
        "client_msg_id": None,
        "edited_ts": message.edited_ts,
        "edited_user": edited_user if message.edited_ts else None,
        "deleted": False,
        "user_team": None,
        "username": message.username,
        "icons": message.icons,
    }


def _attachments(
    message: SlackMessage, maps: Maps, batch: _Batch, day: DayFile
) -> list[Any] | None:
    """Slack's attachments, then each file as a link (its content stays at Slack)."""
    kept = list(_rich(message, "attachments", maps, batch, day) or [])
    for file in message.files:
        if file.url is None:
            reason = f"file {file.name!r} of message {message.ts} has no link in the export"
            batch.skips.append(Skip("files", day.where, reason))
            continue
        kept.append({"fallback": f"{file.name}: {file.url}", "title": file.name,
                     "title_link": file.url})  # fmt: skip
        batch.count("files", imported=1)
    return kept or None


def _rich(
    message: SlackMessage, kind: str, maps: Maps, batch: _Batch, day: DayFile
) -> list[Any] | None:
    """The message's blocks or attachments with their mentions rewritten, if a post would
    take them (services/messaging/block_kit.py); otherwise the message comes without them,
    counted."""
    value = getattr(message, kind)
    if not value:
        return None
    problems = _PROBLEMS[kind](value)
    if problems:
        reason = f"message {message.ts}: {problems[0]}: imported without its {kind}"
        batch.skips.append(Skip(kind, day.where, reason))
        return None
    batch.count(kind, imported=1)
    rewritten: list[Any] = rewrite_json(value, maps)
    return rewritten


_PROBLEMS = {"blocks": block_kit.blocks_problems, "attachments": block_kit.attachments_problems}


async def _reactions_txn(
    conn: Conn,
    channel_id: str,
    fresh: Sequence[SlackMessage],
    maps: Maps,
    batch: _Batch,
    day: DayFile,
) -> None:
    """The new messages' reactions, in Slack's order (emoji first used first, then who)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for message in fresh:
        at = parse_ts(message.ts) / 1_000_000
        for name, people in message.reactions:
            if not is_emoji_name(name):  # as reactions.add would answer invalid_name
                reason = f"reaction {name[:MAX_EMOJI_NAME]!r} on {message.ts}: not an emoji name"
                batch.skips.append(Skip("reactions", day.where, reason, count=len(people)))
                continue
            for slack_id in people:
                user_id = maps.person(slack_id)
                if user_id is None:
                    reason = f"reaction :{name}: on {message.ts} by {slack_id}, not in users.json"
                    batch.skips.append(Skip("reactions", day.where, reason))
                    continue
                at += 0.001  # the time of the message, in order: reads sort by it
                row = {"channel_id": channel_id, "ts": message.ts, "name": name,
                       "user_id": user_id, "created": at}  # fmt: skip
                rows.setdefault((message.ts, name, user_id), row)
    await imports.insert_reactions_txn(conn, list(rows.values()))
    batch.count("reactions", imported=len(rows))


def rewrite_text(text: str, maps: Maps) -> str:
    """Mentions of Slack's people and channels, as ours (unknown ones stay as they are)."""

    def person(match: re.Match[str]) -> str:
        local = maps.person(match[1])
        return f"<@{local}{match[2]}>" if local else match[0]

    def channel(match: re.Match[str]) -> str:
        local = maps.channels.get(match[1])
        return f"<#{local}{match[2]}>" if local else match[0]

    return _CHANNEL_REF.sub(channel, _USER_REF.sub(person, text))


def rewrite_json(value: Any, maps: Maps) -> Any:
    """Blocks and attachments with their mentions rewritten (rich text names people and
    channels by id: {"type": "user", "user_id": ...})."""
    if isinstance(value, str):
        return rewrite_text(value, maps)
    if isinstance(value, list):
        return [rewrite_json(item, maps) for item in value]
    if not isinstance(value, dict):
        return value
    rewritten = {key: rewrite_json(item, maps) for key, item in value.items()}
    if rewritten.get("type") == "user" and isinstance(value.get("user_id"), str):
        rewritten["user_id"] = maps.person(value["user_id"]) or value["user_id"]
    if rewritten.get("type") == "channel" and isinstance(value.get("channel_id"), str):
        rewritten["channel_id"] = maps.channels.get(value["channel_id"], value["channel_id"])
    return rewritten
