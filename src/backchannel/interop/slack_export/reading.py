"""Slack's export format, read: a zip of users.json, channels.json, groups.json, dms.json,
mpims.json and one folder of daily JSON files per conversation (docs/slack-export.md).

Nothing here writes or raises on bad content: what cannot be used becomes a `Skip` with
its reason, and the rest comes out as plain records. Members are read from the zip in
memory, never extracted, each up to `Limits.member_bytes`.
"""

from __future__ import annotations

import collections
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from backchannel.errors import InvalidArgument
from backchannel.interop.slack_export import records
from backchannel.interop.slack_export.records import (
    DayFile,
    Skip,
    SlackChannel,
    SlackMessage,
    SlackUser,
)

# Which file lists which kind of conversation; only channels.json is in every export.
CONVERSATION_FILES = {
    "channels.json": records.PUBLIC,
    "groups.json": records.PRIVATE,
    "dms.json": records.IM,
    "mpims.json": records.MPIM,
}
_DAY_FILE = re.compile(r"^(?P<folder>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})\.json$")


@dataclass(frozen=True)
class Limits:
    member_bytes: int = 256 * 1024 * 1024  # one JSON file, uncompressed


@dataclass
class SlackExport:
    """An export opened for reading: its people, conversations and day files, and what of
    its metadata had to be skipped."""

    archive: zipfile.ZipFile
    prefix: str  # a folder the whole export sits in, or ""
    limits: Limits
    members: dict[str, list[zipfile.ZipInfo]] = field(default_factory=dict)  # by name
    users: list[SlackUser] = field(default_factory=list)
    channels: list[SlackChannel] = field(default_factory=list)
    day_files: dict[str, list[DayFile]] = field(default_factory=dict)  # by folder
    skips: list[Skip] = field(default_factory=list)
    users_listed: bool = False  # users.json was there and readable

    def close(self) -> None:
        self.archive.close()

    def read_day(self, day: DayFile) -> tuple[list[SlackMessage], list[Skip]]:
        """The messages of one day file, oldest first, and what of it was skipped."""
        data, problem = self._load(day.member, day.copy)
        if problem is not None:
            return [], [Skip("day files", day.where, problem)]
        return records.parse_messages(data, day.where)

    def _load(self, name: str, copy: int = 0) -> tuple[Any, str | None]:
        """A member's JSON (the `copy`th of that name), or why it cannot be had."""
        copies = self.members.get(self.prefix + name, [])
        if copy >= len(copies):
            return None, "missing"
        info = copies[copy]
        limit = self.limits.member_bytes
        if info.file_size > limit:
            return None, f"larger than {limit:,} bytes ({info.file_size:,}): not read"
        try:
            with self.archive.open(info) as member:
                raw = member.read(limit + 1)  # a header may lie about the size
        except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError) as exc:
            return None, f"cannot be read from the zip: {exc}"
        if len(raw) > limit:
            return None, f"larger than {limit:,} bytes: not read"
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError as exc:
            return None, f"not valid JSON: {exc}"


def open_export(path: Path, limits: Limits | None = None) -> SlackExport:
    """Open and index an export; InvalidArgument only when it is no zip at all."""
    if not path.is_file():
        raise InvalidArgument(f"no such file: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InvalidArgument(f"{path} is not a zip file") from None
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path}: {exc.strerror or exc}") from None
    names, unsafe = _safe_names(archive)
    prefix = _root_prefix(names)
    export = SlackExport(archive, prefix, limits or Limits())
    for info in archive.infolist():
        export.members.setdefault(info.filename, []).append(info)
    for name in unsafe:
        export.skips.append(Skip("day files", name, "unsafe path (absolute, or with ..): not read"))
    _read_users(export)
    _read_conversations(export, names)
    _index_day_files(export, [name.removeprefix(prefix) for name in names])
    return export


def _safe_names(archive: zipfile.ZipFile) -> tuple[list[str], list[str]]:
    """The members' names, and apart those that would escape a folder if extracted."""
    safe, unsafe = [], []
    for name in archive.namelist():
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or ".." in parts or ":" in parts[0]:
            unsafe.append(name)
        elif not name.endswith("/"):
            safe.append(name)
    return safe, unsafe


def _root_prefix(names: list[str]) -> str:
    """The one folder everything is in, when the export was zipped as a folder."""
    if any(name in CONVERSATION_FILES or name == "users.json" for name in names):
        return ""
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""


def _read_users(export: SlackExport) -> None:
    data, problem = export._load("users.json")
    if problem is not None:
        consequence = (
            "message authors become placeholder users; reactions and channel members are skipped"
        )
        export.skips.append(Skip("users", "users.json", f"{problem}: {consequence}"))
        return
    export.users_listed = True
    export.users, skips = records.parse_users(data)
    export.skips += skips


def _read_conversations(export: SlackExport, names: list[str]) -> None:
    present = {name.removeprefix(export.prefix) for name in names}
    seen: set[str] = set()
    for filename, kind in CONVERSATION_FILES.items():
        if filename not in present:
            if filename == "channels.json":
                reason = "missing: the folders of public channels are skipped"
                export.skips.append(Skip("channels", filename, reason))
            continue
        data, problem = export._load(filename)
        if problem is not None:
            export.skips.append(Skip("channels", filename, f"{problem}: its folders are skipped"))
            continue
        found, skips = records.parse_channels(data, kind, filename)
        export.skips += skips
        for channel in found:
            if channel.id in seen:
                export.skips.append(Skip("channels", filename, f"{channel.id} is listed twice"))
                continue
            seen.add(channel.id)
            export.channels.append(channel)


def _index_day_files(export: SlackExport, names: list[str]) -> None:
    """Day files by folder, oldest first; folders no conversation claims are skipped."""
    by_folder: dict[str, list[DayFile]] = {}
    copies: collections.Counter[str] = collections.Counter()
    for name in sorted(names):
        match = _DAY_FILE.match(name)
        if match is not None:
            folder, copy = match["folder"], copies[name]
            copies[name] += 1
            by_folder.setdefault(folder, []).append(DayFile(folder, match["date"], name, copy))
    claimed = set(_folders(export.channels))
    for folder, days in by_folder.items():
        if folder in claimed:
            export.day_files[folder] = days
        else:
            reason = (
                f"no conversation in channels.json, groups.json, dms.json or mpims.json has "
                f"this folder: its {len(days)} day file(s) are skipped"
            )
            export.skips.append(Skip("day files", f"{folder}/", reason, count=len(days)))


def _folders(channels: list[SlackChannel]) -> Iterator[str]:
    for channel in channels:
        yield from channel.folders


def folder_of(export: SlackExport, channel: SlackChannel) -> str | None:
    """The folder of a conversation's day files (Slack names it by name, or by id for DMs)."""
    return next((f for f in channel.folders if f in export.day_files), None)
