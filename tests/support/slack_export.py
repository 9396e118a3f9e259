"""A Slack workspace export, made the way Slack documents it ("How to read Slack data
exports"): users.json, channels.json, groups.json, dms.json, mpims.json and a folder of
YYYY-MM-DD.json files per conversation, each a JSON array of messages as
conversations.history returns them.

`sample_export()` is the Slackers workspace: alice (owner), bob, carol, dave (deactivated)
and deploybot (a bot); #general, #dev (topic, purpose), #old-stuff (archived), the private
#secret, a DM of alice and bob, a group DM of the three of them; over four days, a thread
whose replies span two days, edits, reactions, a file, mentions and a bot's message.
Tests change it (drop a file, break one) to make the malformed cases.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

TEAM = "T0SLACKERS"
ALICE, BOB, CAROL, DAVE, BOT_USER = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0DEPLOY"
BOT_ID = "B0DEPLOY"
BOT_ICON = "https://deploy.example/icon_48.png"  # the bot's own icon on its message
GENERAL, DEV, OLD, SECRET, DM, MPIM = "C0GENERAL", "C0DEV", "C0OLD", "G0SECRET", "D0AB", "G0MPIM"
MPIM_NAME = "mpdm-alice--bob--carol-1"
FILE_URL = "https://slackers.slack.com/files/U0ALICE/F0PLAN/plan.pdf"

# 2024-01-15 10:00:00 UTC, and the days after it.
DAY = 86_400
START = 1_705_312_800


def ts(seconds: int, micros: int = 0) -> str:
    return f"{START + seconds}.{micros:06d}"


def date_of(stamp: str) -> str:
    return datetime.fromtimestamp(int(stamp.split(".")[0]), UTC).date().isoformat()


# The thread in #general: a root on day 1 with a reply that day and one on day 2.
ROOT, REPLY_1, REPLY_2 = ts(0), ts(60), ts(DAY + 30)
EDITED = ts(DAY + 120)  # dave's edited message in #general
BOT_POST = ts(DAY + 600)
FILE_POST = ts(300)  # in #dev, with the file and reactions


@dataclass
class SlackExportFiles:
    """The members of an export zip: JSON values, and raw bytes for broken ones."""

    json: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)

    def write(self, path: Path) -> Path:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, value in self.json.items():
                archive.writestr(name, orjson.dumps(value, option=orjson.OPT_INDENT_2))
            for name, data in self.raw.items():
                archive.writestr(name, data)
        return path

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (folder, message) of the day files."""
        return [
            (name.split("/")[0], message)
            for name, value in sorted(self.json.items())
            if "/" in name
            for message in value
        ]


def _user(user_id: str, name: str, real_name: str, **extra: Any) -> dict[str, Any]:
    profile = {
        "real_name": real_name,
        "display_name": name,
        "email": f"{name}@slackers.test",
        "title": f"{real_name}'s title",
        "image_72": f"https://avatars.slack-edge.com/{name}_72.png",
    }
    profile.update(extra.pop("profile", {}))
    return {
        "id": user_id,
        "team_id": TEAM,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "tz": "Europe/Paris",
        "is_admin": False,
        "is_owner": False,
        "is_bot": False,
        "profile": profile,
        **extra,
    }


def _users() -> list[dict[str, Any]]:
    bot_profile = {"bot_id": BOT_ID, "email": None, "display_name": ""}
    return [
        _user(ALICE, "alice", "Alice Archer", is_admin=True, is_owner=True),
        _user(BOB, "bob", "Bob Baker"),
        _user(CAROL, "carol", "Carol Chen"),
        _user(DAVE, "dave", "Dave Dunn", deleted=True),
        _user(BOT_USER, "deploybot", "Deploy Bot", is_bot=True, profile=bot_profile),
    ]


def _text(value: str, creator: str, last_set: int) -> dict[str, Any]:
    return {"value": value, "creator": creator, "last_set": last_set}


def _channel(channel_id: str, name: str, members: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "created": START - 10 * DAY,
        "creator": ALICE,
        "is_archived": False,
        "is_general": False,
        "members": members,
        "topic": _text("", "", 0),
        "purpose": _text("", "", 0),
        "pins": [],
        **extra,
    }


def _message(user: str | None, stamp: str, text: str, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "text": text, "ts": stamp, **extra}
    if user is not None:
        message.update(user=user, team=TEAM, user_profile={"real_name": user})
    return message


def _general_days() -> dict[str, list[dict[str, Any]]]:
    root = _message(
        ALICE,
        ROOT,
        f"Welcome everyone! <@{BOB}> meet <@{CAROL}|carol>",
        thread_ts=ROOT,
        reply_count=2,
        reply_users_count=2,
        latest_reply=REPLY_2,
        reply_users=[BOB, CAROL],
        replies=[{"user": BOB, "ts": REPLY_1}, {"user": CAROL, "ts": REPLY_2}],
        blocks=[{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Welcome everyone! "}, {"type": "user", "user_id": BOB},
        ]}]}],
    )  # fmt: skip
    first = [
        root,
        _message(BOB, REPLY_1, f"Thanks! <#{DEV}|dev> is where we work", thread_ts=ROOT,
                 parent_user_id=ALICE),
        _message(CAROL, ts(120), f"<@{CAROL}> has joined the channel", subtype="channel_join"),
    ]  # fmt: skip
    second = [
        _message(CAROL, REPLY_2, "Hello from the next day", thread_ts=ROOT, parent_user_id=ALICE,
                 reactions=[{"name": "tada", "users": [ALICE, BOB], "count": 2}]),
        _message(DAVE, EDITED, "an old message, fixed", edited={"user": DAVE, "ts": ts(DAY + 180)}),
        {"type": "message", "subtype": "bot_message", "text": "Deployed v1.2", "ts": BOT_POST,
         "bot_id": BOT_ID, "username": "deploybot", "icons": {"image_48": BOT_ICON}},
    ]  # fmt: skip
    return {date_of(ROOT): first, date_of(REPLY_2): second}


def _dev_day() -> list[dict[str, Any]]:
    reactions = [
        {"name": "thumbsup", "users": [BOB, CAROL], "count": 2},
        {"name": "+1", "users": [ALICE], "count": 1},
    ]
    plan = {
        "id": "F0PLAN",
        "name": "plan.pdf",
        "title": "The plan",
        "mimetype": "application/pdf",
        "url_private": "https://files.slack.com/files-pri/T0SLACKERS-F0PLAN/plan.pdf",
        "permalink": FILE_URL,
    }
    return [
        _message(ALICE, FILE_POST, "Here is the plan", files=[plan], reactions=reactions,
                 subtype="file_share", upload=True),
        _message(BOB, ts(400), "Looks good", edited={"user": BOB, "ts": ts(450)}),
    ]  # fmt: skip


def sample_export() -> SlackExportFiles:
    members = [ALICE, BOB, CAROL, DAVE]
    files = SlackExportFiles()
    files.json["users.json"] = _users()
    files.json["channels.json"] = [
        _channel(GENERAL, "general", members, is_general=True,
                 purpose=_text("Everyone, everything", ALICE, START - 10 * DAY)),
        _channel(DEV, "dev", [ALICE, BOB, CAROL, BOT_USER],
                 topic=_text("Shipping things", ALICE, START - 5 * DAY),
                 purpose=_text("Where we build", BOB, START - 5 * DAY)),
        _channel(OLD, "old-stuff", [ALICE], is_archived=True),
    ]  # fmt: skip
    files.json["groups.json"] = [_channel(SECRET, "secret", [ALICE, CAROL])]
    files.json["dms.json"] = [{"id": DM, "created": START - DAY, "members": [ALICE, BOB]}]
    files.json["mpims.json"] = [{**_channel(MPIM, MPIM_NAME, [ALICE, BOB, CAROL]), "is_mpim": True}]
    files.json["integration_logs.json"] = []
    for date, day in _general_days().items():
        files.json[f"general/{date}.json"] = day
    files.json[f"dev/{date_of(FILE_POST)}.json"] = _dev_day()
    files.json[f"old-stuff/{date_of(ts(-2 * DAY))}.json"] = [_message(ALICE, ts(-2 * DAY), "bye")]
    files.json[f"secret/{date_of(ts(2 * DAY))}.json"] = [_message(CAROL, ts(2 * DAY), "psst")]
    files.json[f"{DM}/{date_of(ts(500))}.json"] = [
        _message(ALICE, ts(500), "hey bob"),
        _message(BOB, ts(560), "hey alice"),
    ]
    files.json[f"{MPIM_NAME}/{date_of(ts(3 * DAY))}.json"] = [
        _message(CAROL, ts(3 * DAY), "lunch?")
    ]
    return files


# What the sample holds, for the tests' expectations.
MESSAGES = 11  # not replies
REPLIES = 2
REACTIONS = 5
FILES = 1
USERS = 5
CONVERSATIONS = 6
DAY_FILES = 7
