"""What every method that changes a conversation answers when it may not: one rule, in
services/conversations/access.py. Nothing changes in an archived conversation (is_archived),
and what changes a conversation for everyone in it takes someone in it (not_in_channel), as Slack
answers these methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import answer, post


@dataclass
class Launch:
    """#launch, public, with alice in it (not bob); a message of hers, reacted to and
    pinned, and one more."""

    channel: str
    ts: str
    other_ts: str


@pytest.fixture
async def launch(alice: ValidatingAsyncWebClient) -> Launch:
    channel = (await alice.conversations_create(name="launch"))["channel"]["id"]
    ts = await post(alice, channel, "lift off")
    await alice.reactions_add(channel=channel, timestamp=ts, name="eyes")
    await alice.pins_add(channel=channel, timestamp=ts)
    return Launch(channel, ts, await post(alice, channel, "again"))


def refused_when_archived(s: Launch, acme: Acme) -> dict[str, dict[str, Any]]:
    """Each method with arguments its caller, a member, could use were it not archived."""
    message = {"channel": s.channel, "timestamp": s.ts}
    return {
        "conversations.join": {"channel": s.channel},
        "conversations.leave": {"channel": s.channel},
        "conversations.invite": {"channel": s.channel, "users": acme.bob.user.id},
        "conversations.rename": {"channel": s.channel, "name": "landing"},
        "conversations.setTopic": {"channel": s.channel, "topic": "t-minus 10"},
        "conversations.setPurpose": {"channel": s.channel, "purpose": "to fly"},
        "chat.postMessage": {"channel": s.channel, "text": "still here?"},
        "chat.meMessage": {"channel": s.channel, "text": "waves"},
        "chat.postEphemeral": {"channel": s.channel, "user": acme.alice.user.id, "text": "psst"},
        "chat.update": {"channel": s.channel, "ts": s.ts, "text": "lift off!"},
        "reactions.add": {**message, "name": "rocket"},
        "reactions.remove": {**message, "name": "eyes"},
        "pins.add": {"channel": s.channel, "timestamp": s.other_ts},
        "pins.remove": message,
    }


def refused_to_outsiders(s: Launch, acme: Acme) -> dict[str, dict[str, Any]]:
    """Each method with arguments a member could use: someone of the workspace not in the
    channel is told to join first."""
    message = {"channel": s.channel, "timestamp": s.ts}
    return {
        "conversations.invite": {"channel": s.channel, "users": acme.alice.user.id},
        "conversations.archive": {"channel": s.channel},
        "conversations.unarchive": {"channel": s.channel},
        "conversations.rename": {"channel": s.channel, "name": "landing"},
        "conversations.setTopic": {"channel": s.channel, "topic": "t-minus 10"},
        "conversations.setPurpose": {"channel": s.channel, "purpose": "to fly"},
        "conversations.mark": {"channel": s.channel, "ts": s.ts},
        "chat.postMessage": {"channel": s.channel, "text": "hello?"},
        "chat.meMessage": {"channel": s.channel, "text": "waves"},
        "chat.postEphemeral": {"channel": s.channel, "user": acme.alice.user.id, "text": "psst"},
        "pins.add": {"channel": s.channel, "timestamp": s.other_ts},
        "pins.remove": message,
    }


async def outcomes(
    client: ValidatingAsyncWebClient, calls: dict[str, dict[str, Any]], expected: str
) -> list[str]:
    """What each call answered that is not `expected`."""
    wrong = []
    for method, args in calls.items():
        reply = await answer(client, method, args)
        outcome = "ok" if reply["ok"] else reply["error"]
        if outcome != expected:
            wrong.append(f"{method}: {outcome}, not {expected}")
    return wrong


async def test_nothing_changes_in_an_archived_conversation(
    alice: ValidatingAsyncWebClient, acme: Acme, launch: Launch
) -> None:
    await alice.conversations_archive(channel=launch.channel)
    wrong = await outcomes(alice, refused_when_archived(launch, acme), "is_archived")
    assert not wrong, "\n".join(wrong)


async def test_changing_a_conversation_takes_joining_it_first(
    bob: ValidatingAsyncWebClient, acme: Acme, launch: Launch
) -> None:
    wrong = await outcomes(bob, refused_to_outsiders(launch, acme), "not_in_channel")
    assert not wrong, "\n".join(wrong)
