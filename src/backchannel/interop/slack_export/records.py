"""Slack export records: users, conversations and messages as plain values, parsed from an
export's JSON with every problem turned into a `Skip` (docs/slack-export.md).

Pure: no I/O, no ids of ours. Slack's ids stay as they are; the importer maps them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from backchannel.nul import without_nul
from backchannel.types import parse_ts

PUBLIC, PRIVATE, IM, MPIM = "public", "private", "im", "mpim"
TS_LENGTH = 17  # "1732412345.000100": ten digits of seconds sort right as text
MAX_SUBTYPE = 32
MAX_USERNAME = 255  # messages.username
_ICONS = ("emoji", "image_36", "image_48", "image_64", "image_72")


@dataclass(frozen=True)
class Skip:
    """Something of the export that was not imported, and why."""

    kind: str  # one of slack_state.KINDS
    where: str  # the file (and entry) it is in
    reason: str
    count: int = 1


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    real_name: str
    display_name: str
    email: str | None
    tz: str
    is_admin: bool
    is_owner: bool
    is_bot: bool
    bot_id: str | None
    deleted: bool
    profile: dict[str, Any]  # the profile fields kept (title, phone, status...)


@dataclass(frozen=True)
class TextSetting:
    """A channel's topic or purpose."""

    value: str
    creator: str | None
    last_set: float


@dataclass(frozen=True)
class SlackChannel:
    id: str
    kind: str  # PUBLIC, PRIVATE, IM or MPIM
    name: str | None
    created: float
    creator: str | None
    is_archived: bool
    is_general: bool
    members: tuple[str, ...]
    topic: TextSetting | None
    purpose: TextSetting | None

    @property
    def folders(self) -> tuple[str, ...]:
        """Where its day files may be: by name (channels, groups, mpims) or by id (DMs)."""
        return (self.name, self.id) if self.name else (self.id,)

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.kind in (PUBLIC, PRIVATE) else f"{self.kind} {self.id}"


@dataclass(frozen=True)
class SlackFile:
    name: str
    url: str | None  # the permalink (or private URL); None when Slack kept no link


@dataclass(frozen=True)
class SlackMessage:
    ts: str
    user: str | None
    bot_id: str | None
    text: str
    subtype: str | None
    thread_ts: str | None
    parent_user_id: str | None
    edited_user: str | None
    edited_ts: str | None
    reactions: tuple[tuple[str, tuple[str, ...]], ...]  # (emoji name, who), in order
    files: tuple[SlackFile, ...]
    attachments: list[Any] | None
    blocks: list[Any] | None
    username: str | None = None  # a bot's own name and icon on this message
    icons: dict[str, str] | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass(frozen=True)
class DayFile:
    folder: str
    date: str  # YYYY-MM-DD
    member: str  # its name in the zip
    copy: int = 0  # a zip may hold one name more than once: each copy is read

    @property
    def where(self) -> str:
        where = f"{self.folder}/{self.date}.json"
        return f"{where} (copy {self.copy + 1})" if self.copy else where


# -- users ------------------------------------------------------------------------------

_PROFILE_KEPT = ("title", "phone", "skype", "status_text", "status_emoji", "first_name",
                 "last_name")  # fmt: skip


def parse_users(data: Any) -> tuple[list[SlackUser], list[Skip]]:
    if not isinstance(data, list):
        return [], [Skip("users", "users.json", f"expected a JSON array, got {_kind(data)}")]
    found: list[SlackUser] = []
    skips: list[Skip] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        where = f"users.json[{index}]"
        user_id = _id_or_none(entry.get("id")) if isinstance(entry, dict) else None
        if user_id is None:
            skips.append(Skip("users", where, "an entry without a user id"))
        elif user_id in seen:
            skips.append(Skip("users", where, f"{user_id} is listed twice"))
        else:
            seen.add(user_id)
            found.append(_user(entry))
    return found, skips


def _user(entry: dict[str, Any]) -> SlackUser:
    profile = _dict(entry.get("profile"))
    real_name = _str(entry.get("real_name")) or _str(profile.get("real_name"))
    name = _str(entry.get("name")) or real_name or entry["id"]
    email = _str(profile.get("email")) or None
    return SlackUser(
        id=entry["id"],
        name=name,
        real_name=real_name or name,
        display_name=_str(profile.get("display_name")),
        email=email,
        tz=_str(entry.get("tz"))[:64] or "UTC",
        is_admin=entry.get("is_admin") is True,
        is_owner=entry.get("is_owner") is True,
        is_bot=entry.get("is_bot") is True,
        bot_id=_str(profile.get("bot_id")) or None,
        deleted=entry.get("deleted") is True,
        profile={key: profile[key] for key in _PROFILE_KEPT if isinstance(profile.get(key), str)},
    )


# -- conversations ------------------------------------------------------------------------


def parse_channels(data: Any, kind: str, source: str) -> tuple[list[SlackChannel], list[Skip]]:
    if not isinstance(data, list):
        return [], [Skip("channels", source, f"expected a JSON array, got {_kind(data)}")]
    found: list[SlackChannel] = []
    skips: list[Skip] = []
    for index, entry in enumerate(data):
        where = f"{source}[{index}]"
        channel_id = _id_or_none(entry.get("id")) if isinstance(entry, dict) else None
        if channel_id is None:
            skips.append(Skip("channels", where, "an entry without a conversation id"))
            continue
        name = _str(entry.get("name")) or None
        if kind != IM and name is None:
            skips.append(Skip("channels", where, f"{channel_id} has no name"))
            continue
        found.append(
            SlackChannel(
                id=channel_id,
                kind=kind,
                name=name if kind != IM else None,
                created=_number(entry.get("created")),
                creator=_str(entry.get("creator")) or None,
                is_archived=entry.get("is_archived") is True,
                is_general=entry.get("is_general") is True,
                members=tuple(m for m in _list(entry.get("members")) if _is_id(m)),
                topic=_setting(entry.get("topic")),
                purpose=_setting(entry.get("purpose")),
            )
        )
    return found, skips


def _setting(value: Any) -> TextSetting | None:
    setting = _dict(value)
    text = _str(setting.get("value"))
    if not text:
        return None
    return TextSetting(text, _str(setting.get("creator")) or None, _number(setting.get("last_set")))


# -- messages -------------------------------------------------------------------------------


def parse_messages(data: Any, where: str) -> tuple[list[SlackMessage], list[Skip]]:
    """A day file's messages, oldest first."""
    if not isinstance(data, list):
        return [], [Skip("day files", where, f"expected a JSON array, got {_kind(data)}")]
    found: list[SlackMessage] = []
    skips: list[Skip] = []
    for index, entry in enumerate(data):
        message, problem = _message(entry)
        if message is not None:
            found.append(message)
        else:
            replying = isinstance(entry, dict) and entry.get("thread_ts") not in (
                None,
                entry.get("ts"),
            )
            skips.append(Skip("replies" if replying else "messages", f"{where}[{index}]", problem))
    found.sort(key=lambda message: message.ts)
    return found, skips


def _message(entry: Any) -> tuple[SlackMessage | None, str]:
    if not isinstance(entry, dict):
        return None, f"expected a message object, got {_kind(entry)}"
    if entry.get("type", "message") != "message":
        return None, f"not a message (type {entry.get('type')!r})"
    ts = entry.get("ts")
    if not isinstance(ts, str) or not is_ts(ts):
        return None, f"no valid ts (got {ts!r})"
    thread_ts = entry.get("thread_ts")
    if thread_ts is not None and not is_ts(thread_ts):
        return None, f"message {ts} has a bad thread_ts {thread_ts!r}"
    subtype = _str(entry.get("subtype")) or None
    if subtype is not None and len(subtype) > MAX_SUBTYPE:
        return None, f"message {ts} has an unknown subtype {subtype[:40]!r}"
    edited = _dict(entry.get("edited"))
    edited_ts = edited.get("ts") if is_ts(edited.get("ts")) else None
    return SlackMessage(
        ts=ts,
        user=_id_or_none(entry.get("user")),
        bot_id=_id_or_none(entry.get("bot_id")),
        text=_str(entry.get("text")),
        subtype=subtype,
        thread_ts=thread_ts,
        parent_user_id=_id_or_none(entry.get("parent_user_id")),
        edited_user=_id_or_none(edited.get("user")) if edited_ts else None,
        edited_ts=edited_ts,
        reactions=_reactions(entry.get("reactions")),
        files=tuple(_file(item) for item in _list(entry.get("files")) if isinstance(item, dict)),
        attachments=_list(entry.get("attachments")) or None,
        blocks=_list(entry.get("blocks")) or None,
        username=_str(entry.get("username"))[:MAX_USERNAME] or None,
        icons=_icons(entry.get("icons")),
    ), ""


def _icons(value: Any) -> dict[str, str] | None:
    """A message's own icon: its emoji and picture URLs, as Slack wrote them."""
    icons = {key: _str(text) for key, text in _dict(value).items() if key in _ICONS}
    icons = {key: text for key, text in icons.items() if text}
    return icons or None


def _reactions(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found = []
    for reaction in _list(value):
        name = _str(_dict(reaction).get("name"))
        if name:  # checked as an emoji name where it is imported
            people = tuple(dict.fromkeys(u for u in _list(reaction.get("users")) if _is_id(u)))
            found.append((name, people))
    return tuple(found)


def _file(item: dict[str, Any]) -> SlackFile:
    name = _str(item.get("title")) or _str(item.get("name")) or _str(item.get("id")) or "file"
    url = _str(item.get("permalink")) or _str(item.get("url_private")) or None
    return SlackFile(name, url)


def is_ts(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != TS_LENGTH:
        return False
    try:
        parse_ts(value)
    except ValueError:
        return False
    return True


# -- JSON values, leniently ------------------------------------------------------------------


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


def _id_or_none(value: Any) -> str | None:
    return value if _is_id(value) else None


def _str(value: Any) -> str:
    return without_nul(value) if isinstance(value, str) else ""  # Slack's texts may hold one


def _number(value: Any) -> float:
    """A time in seconds; 0 for anything else (what Slack leaves out is 0 there too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and 0 <= number < 1e11 else 0.0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(value: Any) -> str:
    for kind, name in ((dict, "an object"), (list, "an array"), (str, "a string")):
        if isinstance(value, kind):
            return name
    return repr(value)[:40]
