"""The shape of a `backchannel bench boot` workspace, as rows to insert (no I/O here).

Everyone is in #general; each channel has 20 to 200 members; the booting person is in 30
channels, 10 DMs and 2 group DMs, where people posted recently; people have DMs of their
own. See docs/benchmarks.md.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from backchannel.types import (
    DIRECT_MESSAGE,
    PRIVATE_CHANNEL,
    PUBLIC_CHANNEL,
    USER,
    format_ts,
    new_keyed_id,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Ada Alan Alice Amir Ana Arjun Ben Bob Carol Chen Chloe Dan Dave Diego Elena Emma Erin "
    "Farah Felix Frank Grace Hana Hugo Ivan Ines Jack Jana Jonas Kai Kim Lars Lea Leo Lina "
    "Luca Maya Mei Mia Nina Noah Omar Olga Oscar Paul Petra Priya Quinn Rosa Ravi Sam Sara "
    "Sofia Tariq Tess Theo Uma Vera Viktor Wei Will Xena Yara Yuki Zoe"
)
LAST = _words(
    "Archer Baker Bauer Chen Costa Diaz Dubois Evans Fischer Garcia Green Gupta Hansen Hughes "
    "Ito Jensen Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Nakamura Nguyen Novak "
    "Okafor Olsen Patel Peters Quinn Rossi Sato Schmidt Silva Singh Smith Tanaka Torres "
    "Varga Wagner Walker Weber Wong Young Zhang Ziegler"
)
TEAMS = _words(
    "eng design ops sales support data infra mobile web growth legal finance hr security "
    "product research marketing platform billing search"
)
TOPICS = _words(
    "general alerts standup releases oncall reviews planning random help announce builds "
    "incidents hiring roadmap feedback metrics launch docs social"
)
TITLES = ("Engineer", "Designer", "Product Manager", "Analyst", "Support", "Sales", "Ops")
LINES = (
    "Morning! The deploy went out, watching the graphs now.",
    "Can someone review my pull request before lunch?",
    "Latency is back to normal after the cache fix.",
    "Reminder: planning at 3pm, agenda is in the doc.",
    "I'll take the on-call handover today.",
    "Does anyone know why the build is red?",
)

MOST_CHANNELS = 2000
PEOPLE_PER_CHANNEL = 5  # one channel per five people, at most MOST_CHANNELS
FEWEST_CHANNELS = 40
MEMBERS = (20, 200)  # members of a channel, at random in this range
PRIVATE_EVERY = 10  # every tenth channel is private
MY_CHANNELS, MY_DMS, MY_GROUP_DMS = 30, 10, (3, 4)  # the booting person's conversations
MY_MESSAGES, OTHER_MESSAGES = 5, 2  # per conversation of the booting person, per other one
STATUS_EVERY = 4  # one person in four has a status set
FEWEST_PEOPLE = 50  # enough for the booting person's DMs and group DMs, and a channel
DAY = 24 * 3600.0


def channels_for(people: int) -> int:
    """How many channels (besides #general) a workspace of this many people gets."""
    return max(FEWEST_CHANNELS, min(MOST_CHANNELS, people // PEOPLE_PER_CHANNEL))


@dataclass(frozen=True)
class Founders:
    """What the services made before the bulk: the booting person, #general, the bots."""

    workspace_id: str
    keyspace: int
    general: str
    booter: str
    bot_users: list[str]  # each bot's user (U...), who posts as the bot
    now: float


@dataclass
class Plan:
    """Rows by table name, and what the benchmark's queries are made of."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    people: list[str] = field(default_factory=list)  # every person's id, the booter's too
    names: list[str] = field(default_factory=list)  # their real names
    channel_names: list[str] = field(default_factory=list)
    # (bot user, channel): each bot is in one of the booting person's channels; it posts
    # the newest message there once the rows are in (boot_workspace.py).
    bot_channels: list[tuple[str, str]] = field(default_factory=list)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    @property
    def total(self) -> int:
        return sum(map(len, self.rows.values()))


class _Ids:
    """Fresh keyed ids, none twice: at 32,000 people the five random characters of
    new_keyed_id would collide a few times."""

    def __init__(self, keyspace: int, taken: set[str]) -> None:
        self.keyspace = keyspace
        self.taken = taken

    def new(self, prefix: str) -> str:
        while True:
            made = new_keyed_id(prefix, self.keyspace)
            if made not in self.taken:
                self.taken.add(made)
                return made


def plan(founders: Founders, people: int, seed: int = 7) -> Plan:
    """Every row of a workspace of `people` people (the booting person among them)."""
    rng = random.Random(seed)
    ids = _Ids(founders.keyspace, {founders.booter, founders.general})
    made = Plan(people=[founders.booter], names=["Bench Booter"])
    start = founders.now - 30 * DAY
    for number in range(people - 1):
        _person(made, ids, founders, number, start)
    clock = _Clock(founders.now - DAY)
    everyone = made.people[1:]
    for person, joined in zip(everyone, _moments(start, len(everyone)), strict=True):
        _member(made, founders, founders.general, person, joined)
    mine = sorted(rng.sample(range(channels_for(people)), MY_CHANNELS))
    posters = dict(zip(mine, founders.bot_users, strict=False))
    for number in range(channels_for(people)):
        joining = [founders.booter, *filter(None, [posters.get(number)])] if number in mine else []
        channel_id = _channel(made, ids, founders, rng, clock, number, joining)
        if number in posters:
            made.bot_channels.append((posters[number], channel_id))
    for others in _direct_partners(rng, everyone):
        _direct(made, ids, founders, clock, [founders.booter, *others], rng)
    pairs = {tuple(sorted(rng.sample(everyone, 2))) for _ in range(people // 2)}
    for pair in sorted(pairs):  # other people's DMs: about one per person
        _direct(made, ids, founders, clock, list(pair), rng, messages=0)
    return made


def _person(made: Plan, ids: _Ids, founders: Founders, number: int, start: float) -> None:
    first, last = FIRST[number % len(FIRST)], LAST[(number // len(FIRST)) % len(LAST)]
    again = number // (len(FIRST) * len(LAST))
    handle = f"{first}.{last}".lower() + (str(again + 1) if again else "")
    real_name = f"{first} {last}"
    email = f"{handle}@bench.test"
    user_id = ids.new(USER)
    # Only what differs from the defaults: the JSON of a user (wire.profile_json) fills in
    # the names from their columns and the rest empty, as for people made by the services.
    profile: dict[str, Any] = {"title": TITLES[number % len(TITLES)], "email": email}
    if number % STATUS_EVERY == 0:
        profile.update(status_text="In a meeting", status_emoji=":calendar:")
    made.add("seats", {"user_id": user_id, "workspace_id": founders.workspace_id, "joined": start})
    made.add(
        "users",
        {
            "id": user_id,
            "workspace_id": founders.workspace_id,
            "name": handle,
            "real_name": real_name,
            "display_name": "",
            "email": email,
            "profile": profile,
            "updated": start,
        },
    )
    made.people.append(user_id)
    made.names.append(real_name)


class _Clock:
    """Message times: one after another, each channel's after its last."""

    def __init__(self, start: float) -> None:
        self.micros = int(start * 1_000_000)

    def next_ts(self) -> str:
        self.micros += 7_000_000
        return format_ts(self.micros)


def _moments(start: float, count: int) -> Iterator[float]:
    return (start + number / 1000 for number in range(count))


def _member(made: Plan, founders: Founders, channel_id: str, user_id: str, joined: float) -> None:
    made.add(
        "memberships",
        {
            "channel_id": channel_id,
            "user_id": user_id,
            "workspace_id": founders.workspace_id,
            "joined": joined,
        },
    )


def _channel(
    made: Plan,
    ids: _Ids,
    founders: Founders,
    rng: random.Random,
    clock: _Clock,
    number: int,
    joining: list[str],
) -> str:
    """A channel of random people; `joining` (the booting person, a bot) join it too."""
    private = number % PRIVATE_EVERY == PRIVATE_EVERY - 1
    team, topic = TEAMS[number % len(TEAMS)], TOPICS[(number // len(TEAMS)) % len(TOPICS)]
    again = number // (len(TEAMS) * len(TOPICS))
    name = f"{team}-{topic}" + (f"-{again + 1}" if again else "")
    channel_id = ids.new(PRIVATE_CHANNEL if private else PUBLIC_CHANNEL)
    everyone = made.people[1:]
    members = rng.sample(everyone, min(len(everyone), rng.randint(*MEMBERS))) + joining
    start = founders.now - 20 * DAY
    for person, joined in zip(members, _moments(start, len(members)), strict=True):
        _member(made, founders, channel_id, person, joined)
    row = _channel_row(founders, channel_id, members[0], start - DAY, name=name)
    row.update(
        is_private=private,
        topic=f"All things {team} {topic}",
        purpose=f"Where {team} talks about {topic}",
    )
    made.channel_names.append(name)
    made.add("channels", row)
    count = MY_MESSAGES if joining else OTHER_MESSAGES
    row["last_ts"] = _messages(made, founders, clock, channel_id, members, rng, count)
    return channel_id


def _channel_row(
    founders: Founders, channel_id: str, creator: str, created: float, *, name: str | None
) -> dict[str, Any]:
    """Every table's rows go in one executemany: each row names the same columns."""
    return {
        "id": channel_id,
        "workspace_id": founders.workspace_id,
        "name": name,
        "is_private": False,
        "is_im": False,
        "is_mpim": False,
        "creator": creator,
        "created": created,
        "topic": "",
        "purpose": "",
        "last_ts": None,
    }


def _direct_partners(rng: random.Random, everyone: list[str]) -> Iterator[list[str]]:
    partners = rng.sample(everyone, MY_DMS + sum(MY_GROUP_DMS))
    yield from ([person] for person in partners[:MY_DMS])
    at = MY_DMS
    for size in MY_GROUP_DMS:
        yield partners[at : at + size]
        at += size


def _direct(
    made: Plan,
    ids: _Ids,
    founders: Founders,
    clock: _Clock,
    people: list[str],
    rng: random.Random,
    messages: int = MY_MESSAGES,
) -> None:
    group = len(people) > 2
    channel_id = ids.new(PRIVATE_CHANNEL if group else DIRECT_MESSAGE)
    start = founders.now - 10 * DAY
    for person, joined in zip(people, _moments(start, len(people)), strict=True):
        _member(made, founders, channel_id, person, joined)
    row = _channel_row(founders, channel_id, people[0], start, name=None)
    row.update(is_private=group, is_im=not group, is_mpim=group)
    made.add("channels", row)
    row["last_ts"] = _messages(made, founders, clock, channel_id, people, rng, messages)


def _messages(
    made: Plan,
    founders: Founders,
    clock: _Clock,
    channel_id: str,
    authors: list[str],
    rng: random.Random,
    count: int,
) -> str | None:
    """`count` messages by these authors; half the booting person's conversations are read
    up to the one before the last. The channel's last ts."""
    last = None
    for number in range(count):
        author = rng.choice(authors)
        text = rng.choice(LINES)
        if number == 1 and founders.booter in authors:
            text = f"<@{founders.booter}> {text}"  # a mention: the badges count it
        last = clock.next_ts()
        made.add(
            "messages",
            {
                "channel_id": channel_id,
                "ts": last,
                "workspace_id": founders.workspace_id,
                "user_id": author,
                "bot_id": None,
                "text": text,
            },
        )
        if number == count - 2 and founders.booter in authors and rng.random() < 0.5:
            made.add(
                "read_markers",
                {
                    "channel_id": channel_id,
                    "user_id": founders.booter,
                    "last_read": last,
                    "updated": founders.now,
                },
            )
    return last
