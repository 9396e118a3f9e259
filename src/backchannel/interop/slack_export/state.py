"""What an import of a Slack export keeps track of: the ids it mapped, and the summary it
reports (docs/slack-export.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from backchannel.interop.slack_export.records import Skip, SlackUser
from backchannel.wire import SYSTEM_USER

KINDS = (
    "users", "channels", "day files", "messages", "replies", "reactions", "files", "blocks",
    "attachments",
)  # fmt: skip
MAX_REASONS = 20  # reasons shown; the counts cover them all
MAX_NOTES = 20
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Tally:
    imported: int = 0
    present: int = 0  # there already (an earlier run, or the same person by email)
    skipped: int = 0


@dataclass
class ImportSummary:
    workspace_id: str
    domain: str
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    reasons: list[Skip] = field(default_factory=list)  # the first MAX_REASONS skips
    notes: list[str] = field(default_factory=list)  # what was adapted, not skipped
    more_notes: int = 0

    def skip(self, skip: Skip) -> None:
        self.tallies[skip.kind].skipped += skip.count
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(skip)

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.more_notes += 1

    def count(self, kind: str, *, imported: int = 0, present: int = 0) -> None:
        self.tallies[kind].imported += imported
        self.tallies[kind].present += present

    @property
    def skipped(self) -> int:
        return sum(tally.skipped for tally in self.tallies.values())

    @property
    def usable(self) -> bool:
        """Did the export hold anything this workspace now has (imported now or before)?"""
        return any(
            tally.imported or tally.present
            for kind, tally in self.tallies.items()
            if kind != "day files"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace_id,
            "domain": self.domain,
            "counts": {kind: asdict(tally) for kind, tally in self.tallies.items()},
            "skipped": self.skipped,
            "reasons": [asdict(reason) for reason in self.reasons],
            "notes": self.notes,
        }


@dataclass
class Maps:
    """Slack's ids and what the import made of them in this workspace."""

    users: dict[str, str] = field(default_factory=lambda: {SYSTEM_USER: SYSTEM_USER})
    bots: dict[str, str] = field(default_factory=dict)  # Slack B... -> ours
    channels: dict[str, str] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)  # the user ids users.json lists
    bot_users: dict[str, str] = field(default_factory=dict)  # Slack B... -> our bot's user

    def person(self, slack_id: str | None) -> str | None:
        """Our id of someone users.json lists (Slackbot too): who may react, be a member or
        be mentioned. Others are unknown there (only their messages are kept)."""
        if slack_id is None or (slack_id not in self.listed and slack_id != SYSTEM_USER):
            return None
        return self.users.get(slack_id)

    def learn_bots(self, people: list[SlackUser]) -> None:
        for person in people:
            local = self.users.get(person.id)
            if person.bot_id is not None and local is not None:
                self.bot_users[person.bot_id] = local
