"""`backchannel export`: a workspace as a Slack export, which `import slack-export` reads
back (docs/slack-export.md).

users.json, channels.json, groups.json, dms.json and mpims.json, then a folder per
conversation of day files (UTC dates of the ts), messages as conversations.history shows
them, replies included with their thread fields, reactions and edits; the ids are ours.
Everything is read through the router a page at a time and written to the zip a member at
a time, one JSON item at a time, so memory stays flat whatever the workspace's size. The
zip is written beside `out` and renamed once complete. No password hash or token is in it.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from backchannel.interop.slack_export.state import Progress
from backchannel.models import Channel, Message, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import conversation_home
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.storage.shard import channels as channel_store
from backchannel.storage.shard import imports
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users as user_store
from backchannel.storage.shard.reactions import with_reactions_txn
from backchannel.types import parse_ts
from backchannel.wire import conversation_json, message_json, user_json

PAGE = 500
REPLIES_LISTED = 1000  # a root's `replies` names its first ones; reply_count counts all
CONVERSATION_FILES = (
    ("channels.json", channel_store.PUBLIC),
    ("groups.json", channel_store.PRIVATE),
    ("mpims.json", channel_store.MPIM),
    ("dms.json", channel_store.IM),
)


@dataclass
class ExportReport:
    workspace_id: str
    path: str
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("users", "channels", "day files", "messages", "replies", "reactions"), 0
        )
    )
    bytes: int = 0


async def export_workspace(
    ctx: ServiceContext, *, workspace: str, out: Path, progress: Progress | None = None
) -> ExportReport:
    target = await find_workspace(ctx, workspace)
    report = ExportReport(target.id, str(out))
    tell = progress or (lambda *_: None)
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            handles = await _write_users(ctx, target, archive, report)
            folders = await _write_conversations(ctx, target, archive, handles, report)
            for done, (channel_id, folder) in enumerate(folders, 1):
                await _write_messages(ctx, target, archive, channel_id, folder, report)
                tell("conversations", done, len(folders))
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    report.bytes = out.stat().st_size
    return report


class _JsonArray:
    """One zip member written as a JSON array, an item at a time."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        # Dated now (a bare name would be dated 1980), compressed like the archive.
        member = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
        member.compress_type = archive.compression
        self._out: IO[bytes] = archive.open(member, "w", force_zip64=True)
        self._items = 0
        self._out.write(b"[")

    def add(self, item: dict[str, Any]) -> None:
        self._out.write(b",\n" if self._items else b"\n")
        self._out.write(orjson.dumps(item))
        self._items += 1

    def __enter__(self) -> _JsonArray:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._out.write(b"\n]\n")
        self._out.close()


async def _write_users(
    ctx: ServiceContext, target: Workspace, archive: zipfile.ZipFile, report: ExportReport
) -> dict[str, str]:
    """users.json (as users.list shows them: no credentials); every handle, for mpim names."""
    handles: dict[str, str] = {}
    after = ""
    with _JsonArray(archive, "users.json") as out:
        while True:
            async with ctx.router.read(ShardFor(target.id)) as conn:
                page = await user_store.list_users_txn(conn, target.id, after_id=after, limit=PAGE)
            for user in page:
                out.add(user_json(user, ctx.public_url))
                handles[user.id] = user.name
            report.counts["users"] += len(page)
            if len(page) < PAGE:
                return handles
            after = page[-1].id


async def _write_conversations(
    ctx: ServiceContext,
    target: Workspace,
    archive: zipfile.ZipFile,
    handles: dict[str, str],
    report: ExportReport,
) -> list[tuple[str, str]]:
    """The four lists of conversations; (id, folder) of each, for their day files."""
    folders: list[tuple[str, str]] = []
    for filename, kind in CONVERSATION_FILES:
        with _JsonArray(archive, filename) as out:
            async for channel in _channels(ctx, target, kind):
                members = await _members(ctx, channel.id)
                entry = _conversation(channel, members, handles)
                out.add(entry)
                folders.append((channel.id, str(entry.get("name") or channel.id)))
                report.counts["channels"] += 1
    return folders


async def _channels(ctx: ServiceContext, target: Workspace, kind: str) -> AsyncIterator[Channel]:
    after = ""
    while True:
        async with ctx.router.read(ShardFor(target.id)) as conn:
            page = await imports.channels_page_txn(
                conn, target.id, [kind], after_id=after, limit=PAGE
            )
        for channel in page:
            yield channel
        if len(page) < PAGE:
            return
        after = page[-1].id


async def _members(ctx: ServiceContext, channel_id: str) -> list[str]:
    members: list[str] = []
    while True:
        async with ctx.router.read(conversation_home(channel_id)) as conn:
            after = members[-1] if members else ""
            page = await membership_store.members_txn(conn, channel_id, after_id=after, limit=PAGE)
        members += page
        if len(page) < PAGE:
            return members


def _conversation(channel: Channel, members: list[str], handles: dict[str, str]) -> dict[str, Any]:
    """A conversation as conversations.info shows it, with its members (Slack's export)."""
    entry = {**conversation_json(channel, members=members), "members": members}
    if channel.is_mpim:  # Slack names a group DM after its people's handles
        names = sorted(handles.get(member, member) for member in members)
        entry["name"] = entry["name_normalized"] = "mpdm-" + "--".join(names) + "-1"
    return entry


async def _write_messages(
    ctx: ServiceContext,
    target: Workspace,
    archive: zipfile.ZipFile,
    channel_id: str,
    folder: str,
    report: ExportReport,
) -> None:
    """The channel's messages, oldest first, into one day file per UTC date."""
    day: tuple[str, _JsonArray] | None = None
    after = ""
    try:
        while True:
            async with ctx.router.read(conversation_home(channel_id)) as conn:
                page = await imports.messages_page_txn(conn, channel_id, after_ts=after, limit=PAGE)
                page = await with_reactions_txn(conn, page)
                replies = {
                    m.ts: await imports.reply_refs_txn(conn, channel_id, m.ts, limit=REPLIES_LISTED)
                    for m in page
                    if m.thread_ts == m.ts and m.reply_count
                }
            for message in page:
                date = _utc_date(message.ts)
                if day is None or day[0] != date:
                    if day is not None:
                        day[1].close()
                    day = (date, _JsonArray(archive, f"{folder}/{date}.json"))
                    report.counts["day files"] += 1
                day[1].add(_message(message, replies.get(message.ts)))
                _count(report, message)
            if len(page) < PAGE:
                return
            after = page[-1].ts
    finally:
        if day is not None:
            day[1].close()


def _message(message: Message, replies: list[tuple[str | None, str]] | None) -> dict[str, Any]:
    entry = message_json(message)
    if replies:
        entry["replies"] = [{"user": user, "ts": ts} for user, ts in replies]
    return entry


def _count(report: ExportReport, message: Message) -> None:
    is_reply = message.thread_ts not in (None, message.ts)
    report.counts["replies" if is_reply else "messages"] += 1
    report.counts["reactions"] += sum(len(people) for people in message.reactions.values())


def _utc_date(ts: str) -> str:
    return datetime.fromtimestamp(parse_ts(ts) // 1_000_000, UTC).date().isoformat()
