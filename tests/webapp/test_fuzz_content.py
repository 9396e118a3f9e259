"""Hostile structured input at every method that takes some (tests/support/json_fuzz.py:
deep and wide JSON, odd Unicode, huge numbers), through a live server and an edge, on
SQLite and PostgreSQL: never a 5xx, and after every write that was accepted every path
that shows it still answers (docs/storage.md#json-columns).

TARGETS is the table of methods and their fuzzed arguments: a method gains a structured
argument, the table gains a line. Hypothesis is derandomized: CI sees the same
examples every run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackApiError

from backchannel.interop.slack_export.writing import export_workspace
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.messaging import messages, webhooks
from tests.conftest import Acme
from tests.support import json_fuzz as fuzz
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import RtmSocket, open_rtm
from tests.support.slack_spec import validate_reply

WEBHOOK = "incoming webhook"
NEWEST = 2  # messages of #dev pinned, reacted to and read one by one after each example
RESUME_EVERY = 8  # examples that wrote, between replays of the whole log and exports


@dataclass(frozen=True)
class Arg:
    """An argument as sent: JSON text (a JSON body embeds it, a form sends the text) or a
    string (JSON-encoded in a JSON body)."""

    text: str
    is_json: bool

    def in_json(self) -> str:
        return self.text if self.is_json else fuzz.string(self.text)

    def __str__(self) -> str:  # in a failure's message
        return repr(self.text[:200])


@dataclass
class World:
    """#dev with alice's pinned and reacted-to message, a webhook into #dev, and alice's
    lean socket; what the fuzzer has got through so far."""

    ctx: ServiceContext
    acme: Acme
    server: str
    edge_url: str
    channel: str
    target_ts: str
    hook_url: str
    alice: ValidatingAsyncWebClient
    http: httpx.AsyncClient
    socket: RtmSocket
    first_token: str
    tmp_path: Path
    taken: list[str] = field(default_factory=list)  # the writes it accepted
    reads: int = 0
    seen_logs: int = 0


@dataclass(frozen=True)
class Target:
    """A method that takes structured input: its fuzzed arguments, and those the world gives
    it so that its checks are reached."""

    method: str
    fuzzed: Mapping[str, st.SearchStrategy[Arg]]
    given: Callable[[World], dict[str, str]] = lambda world: {}


def _json(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Arg]:
    return strategy.map(lambda text: Arg(text, is_json=True))


def _text(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Arg]:
    return strategy.map(lambda text: Arg(text, is_json=False))


MESSAGE = {
    "text": _text(fuzz.odd_text),
    "blocks": _json(st.one_of(fuzz.good_blocks, fuzz.rich)),
    "attachments": _json(st.one_of(fuzz.good_attachments, fuzz.rich)),
}


_emoji = st.one_of(st.sampled_from(["eyes", "+1", "wave::skin-tone-3", "e" * 100]), fuzz.odd_text)


def _in_channel(world: World) -> dict[str, str]:
    return {"channel": world.channel}


def _at_target(world: World) -> dict[str, str]:
    return {"channel": world.channel, "ts": world.target_ts, "timestamp": world.target_ts}


# What a bot may name itself with (a person's token ignores them; a webhook's bot takes them).
PERSONA = {key: _text(fuzz.odd_text) for key in ("username", "icon_emoji", "icon_url")}

TARGETS = [
    Target("chat.postMessage", MESSAGE, _in_channel),
    Target(
        "chat.postMessage",
        {"text": _text(fuzz.odd_text), "metadata": _json(fuzz.rich)},
        _in_channel,
    ),
    Target("chat.update", MESSAGE, _at_target),
    Target("chat.postEphemeral", MESSAGE, lambda w: {**_in_channel(w), "user": w.acme.bob.user.id}),
    Target("chat.meMessage", {"text": _text(fuzz.odd_text)}, _in_channel),
    Target("users.profile.set", {"profile": _json(st.one_of(fuzz.profile, fuzz.rich))}),
    Target(
        "users.profile.set",
        {"name": _text(st.sampled_from(fuzz.PROFILE_FIELDS)), "value": _text(fuzz.odd_text)},
    ),
    Target(
        "users.profile.set",
        {
            "name": _text(st.just("status_expiration")),
            "value": _text(st.sampled_from(fuzz.NUMBERS)),
        },
    ),
    Target("reactions.add", {"name": _text(_emoji)}, _at_target),
    Target("reactions.remove", {"name": _text(_emoji)}, _at_target),
    Target(WEBHOOK, MESSAGE),
    Target(WEBHOOK, {"text": _text(fuzz.odd_text), **PERSONA}),
    Target(WEBHOOK, {"text": _text(fuzz.odd_text), "thread_ts": _json(fuzz.scalar)}),
]


@pytest.fixture
async def world(
    ctx: ServiceContext,
    acme: Acme,
    dev: str,
    server: str,
    edge_url: str,
    alice: ValidatingAsyncWebClient,
    tmp_path: Path,
) -> AsyncIterator[World]:
    target = await messages.post_message(
        ctx, workspace_id=acme.workspace.id, user_id=acme.alice.user.id, channel_id=dev,
        text="fuzzed words",
    )  # fmt: skip
    await alice.pins_add(channel=dev, timestamp=target.ts)
    await alice.reactions_add(channel=dev, timestamp=target.ts, name="eyes")
    hook = await webhooks.create_webhook(ctx, workspace="acme", channel=dev)
    who = TokenInfo(acme.alice.user.id, acme.workspace.id, "user")
    socket = await open_rtm(ctx, edge_url, who)
    assert (await socket.ask("client.boot"))["ok"] is True
    async with httpx.AsyncClient(timeout=60) as http:
        yield World(
            ctx, acme, server, edge_url, dev, target.ts, hook.url(server), alice, http, socket,
            str(socket.received[0]["resume"]), tmp_path,
        )  # fmt: skip
    await socket.close()


def _body(args: Mapping[str, Arg], encoding: str) -> tuple[bytes, str]:
    """The call's body as a client would send it; lone surrogates included (then it is not
    UTF-8)."""
    if encoding == "json":
        text = fuzz.obj([(key, value.in_json()) for key, value in args.items()])
        return text.encode("utf-8", "surrogatepass"), "application/json"
    fields = [
        f"{quote_from_bytes(key.encode())}="
        f"{quote_from_bytes(value.text.encode('utf-8', 'surrogatepass'))}"
        for key, value in args.items()
    ]
    return "&".join(fields).encode(), "application/x-www-form-urlencoded"


async def _call(world: World, target: Target, args: dict[str, Arg], encoding: str) -> bool:
    """Send the call; whether it was accepted. Never a 5xx, always Slack's shape."""
    given = {name: Arg(value, is_json=False) for name, value in target.given(world).items()}
    if target.method == WEBHOOK:
        body, content_type = _body(args, "json")
        if encoding == "form":
            payload = Arg(body.decode("utf-8", "surrogatepass"), is_json=True)
            body, content_type = _body({"payload": payload}, "form")
        reply = await world.http.post(
            world.hook_url, content=body, headers={"content-type": content_type}
        )
        assert reply.status_code < 500, reply.text
        return reply.text == "ok"
    body, content_type = _body({**given, **args}, encoding)
    headers = {"content-type": content_type, "authorization": f"Bearer {world.acme.alice.token}"}
    reply = await world.http.post(
        f"{world.server}/api/{target.method}", content=body, headers=headers
    )
    assert reply.status_code < 500, reply.text
    answer = reply.json()
    validate_reply(target.method, answer)
    return answer["ok"] is True


async def _may_fail(call: Any, *expected: str) -> None:
    try:
        await call
    except SlackApiError as failed:
        assert failed.response["error"] in expected, failed.response


async def _every_read(world: World) -> None:
    """Every path that shows #dev's messages and alice's profile answers (each reply is
    checked against Slack's spec by the client); the newest messages are pinned and
    reacted to, which logs events that carry them."""
    alice, channel = world.alice, world.channel
    history = await alice.conversations_history(channel=channel, limit=200)
    for message in history["messages"][:NEWEST]:
        ts = message["ts"]
        await _may_fail(alice.pins_add(channel=channel, timestamp=ts), "already_pinned")
        reacted = alice.reactions_add(channel=channel, timestamp=ts, name="eyes")
        await _may_fail(reacted, "already_reacted")
        await alice.reactions_get(channel=channel, timestamp=ts)
        await alice.conversations_replies(channel=channel, ts=ts)
        await alice.chat_getPermalink(channel=channel, message_ts=ts)
    await alice.pins_list(channel=channel)
    await alice.reactions_list(limit=200)
    await alice.search_messages(query="fuzzed", count=100)
    await alice.users_info(user=world.acme.alice.user.id)
    await alice.users_list()
    await alice.rtm_start()
    assert (await world.socket.ask("client.boot"))["ok"] is True
    found = await world.socket.ask("users.info", users=[world.acme.alice.user.id])
    assert found["ok"] is True


async def _replay_and_export(world: World) -> None:
    """A socket resuming from the first event replays the whole log, up to a marker posted
    after it opened; the workspace exports."""
    who = TokenInfo(world.acme.alice.user.id, world.acme.workspace.id, "user")
    again = await open_rtm(world.ctx, world.edge_url, who, resume=world.first_token)
    try:
        marker = f"marker {world.reads}"
        await world.alice.chat_postMessage(channel=world.channel, text=marker)
        while (await again.next("message")).get("text") != marker:
            pass
        assert all("type" in frame for frame in again.received)
    finally:
        await again.close()
    await export_workspace(world.ctx, workspace="acme", out=world.tmp_path / "export.zip")


def _shown(args: Mapping[str, Arg]) -> str:
    return ", ".join(f"{name}={value}" for name, value in args.items())


@contextmanager
def _telling(world: World, doing: str) -> Iterator[None]:
    """A failure says what failed and which writes the server had taken before."""
    try:
        yield
    except Exception as exc:
        taken = "\n  ".join(world.taken[-12:]) or "nothing"
        raise AssertionError(f"{doing} failed: {exc}\nafter these writes:\n  {taken}") from exc


def _assert_nothing_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """No error logged meanwhile: an edge that failed to write a frame answers nobody."""
    records, world.seen_logs = caplog.records[world.seen_logs :], len(caplog.records)
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    assert errors == []


@settings(
    max_examples=16,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_structured_input_breaks_a_call_or_a_later_read(
    world: World, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Each example calls every method of TARGETS once, then reads everything back. The
    world lives on from one example to the next: a failure names the writes taken before."""
    wrote = False
    for target in TARGETS:
        args = {
            name: value
            for name, strategy in target.fuzzed.items()
            if (value := data.draw(st.none() | strategy, label=name)) is not None
        }
        encoding = data.draw(st.sampled_from(["json", "form"]), label="encoding")
        with _telling(world, f"{target.method} ({encoding}) {_shown(args)}"):
            accepted = await _call(world, target, args, encoding)
        event(target.method, "accepted" if accepted else "refused")  # --hypothesis-show-statistics
        if accepted:
            world.taken.append(f"{target.method} {_shown(args)}")
        wrote = wrote or accepted
    if wrote:
        world.reads += 1
        with _telling(world, "reading it back"):
            await _every_read(world)
            if world.reads % RESUME_EVERY == 0:
                await _replay_and_export(world)
    _assert_nothing_logged(world, caplog)
