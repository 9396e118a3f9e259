"""Blocks and attachments are checked on the way in as Slack checks them
(services/messaging/block_kit.py): what Slack refuses is refused with invalid_blocks or
invalid_attachments and Slack's lines naming each field, and nothing that is stored can
break a read of the channel."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from backchannel.services import ServiceContext
from backchannel.services.messaging import webhooks
from tests.conftest import SQLITE, Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import post


def nested(depth: int) -> list[dict[str, Any]]:
    """Blocks whose one section carries a value `depth` levels deep in all."""
    value: Any = []
    for _ in range(depth - 3):  # the blocks array and the section are two levels, [] one
        value = [value]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "deep"}, "x": value}]


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def refusal(call: Awaitable[Any]) -> tuple[str, list[str]]:
    """The Slack error a call fails with, and its response_metadata lines."""
    with pytest.raises(SlackApiError) as failed:
        await call
    body = failed.value.response
    assert failed.value.response.status_code == 200
    lines = list(body.get("response_metadata", {}).get("messages", []))
    if body["error"] in ("invalid_blocks", "invalid_attachments"):  # Slack lists them twice
        assert [f"[ERROR] {line}" for line in body["errors"]] == lines
    return str(body["error"]), lines


async def assert_channel_reads(alice: ValidatingAsyncWebClient, dev: str) -> None:
    """History and a boot that show the channel answer (an edge is up: edge_url)."""
    await alice.conversations_history(channel=dev)
    await alice.rtm_start()


@pytest.mark.usefixtures("edge_url")
async def test_blocks_nested_too_deep_are_refused_and_the_channel_still_reads(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    for depth in (33, 250, 251, 300):
        error, lines = await refusal(
            alice.chat_postMessage(channel=dev, text="t", blocks=nested(depth))
        )
        assert error == "invalid_blocks"
        assert lines[0].startswith(
            "[ERROR] nested more than 32 levels deep [json-pointer:/blocks/0/x/"
        )
    ts = await post(alice, dev, "fine", blocks=nested(32))
    await assert_channel_reads(alice, dev)
    history = await alice.conversations_history(channel=dev)
    assert history["messages"][0]["ts"] == ts and history["messages"][0]["blocks"] == nested(32)


async def test_metadata_nested_too_deep_is_refused(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    """It answered 500: orjson could not measure it."""
    deep = "[" * 300 + "]" * 300
    metadata = '{"event_type": "deep", "event_payload": {"x": ' + deep + "}}"
    refused = alice.chat_postMessage(channel=dev, text="t", metadata=metadata)
    error, lines = await refusal(refused)
    assert error == "invalid_metadata_format"
    assert lines[0].startswith("[ERROR] metadata is nested more than 32 levels deep")


@SQLITE  # a check of input: the same on every backend
@pytest.mark.parametrize(
    ("blocks", "line"),
    [
        ([section("a")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        ([{"type": "sections"}], "unsupported type: sections [json-pointer:/blocks/0/type]"),
        ([{"text": "no type"}], "missing required field: type [json-pointer:/blocks/0]"),
        (
            [{"type": "section"}],
            "must define either `text` or `fields` [json-pointer:/blocks/0/type]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            [{"type": "actions", "elements": [{"type": "button"}] * 26}],
            "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
        ),
        (
            [{**section("a"), "block_id": "b" * 256}],
            "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
        ),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
            "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
        ),
        (
            [{"type": "image", "image_url": "https://example.com/a.png"}],
            "missing required field: alt_text [json-pointer:/blocks/0]",
        ),
    ],
)
async def test_blocks_slack_refuses_are_refused_with_slacks_lines(
    alice: ValidatingAsyncWebClient, dev: str, blocks: list[Any], line: str
) -> None:
    assert await refusal(alice.chat_postMessage(channel=dev, text="t", blocks=blocks)) == (
        "invalid_blocks",
        [f"[ERROR] {line}"],
    )


async def test_every_problem_is_listed(alice: ValidatingAsyncWebClient, dev: str) -> None:
    blocks = [section(""), {"type": "nope"}, section("fine")]
    _, lines = await refusal(alice.chat_postMessage(channel=dev, text="t", blocks=blocks))
    assert lines == [
        "[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]",
        "[ERROR] unsupported type: nope [json-pointer:/blocks/1/type]",
    ]


async def test_the_block_kit_slack_documents_is_taken_as_sent(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Deploy"}},
        {
            "type": "section",
            "block_id": "summary",
            "text": {"type": "mrkdwn", "text": "*v1.2* is out"},
            "fields": [{"type": "mrkdwn", "text": f"field {n}"} for n in range(10)],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}},
        },
        {"type": "divider"},
        {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a chart"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by the deploy bot"}]},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Roll back"}}],
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": "one", "style": {"bold": True}}],
                        }
                    ],
                }
            ],
        },
        {"type": "markdown", "text": "**fine**"},
        {"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]]},
    ]
    posted = await alice.chat_postMessage(channel=dev, text="deploy", blocks=blocks)
    assert posted["message"]["blocks"] == blocks


@pytest.mark.usefixtures("edge_url")
async def test_chat_update_and_post_ephemeral_check_blocks_alike(
    alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    ts = await post(alice, dev, "to edit")
    bad = [{"type": "sections"}]
    update = alice.chat_update(channel=dev, ts=ts, text="x", blocks=bad)
    assert (await refusal(update))[0] == "invalid_blocks"
    ephemeral = alice.chat_postEphemeral(channel=dev, user=acme.bob.user.id, text="x", blocks=bad)
    assert (await refusal(ephemeral))[0] == "invalid_blocks"
    deep = alice.chat_update(channel=dev, ts=ts, text="x", attachments=[{"x": nested(300)}])
    assert (await refusal(deep))[0] == "invalid_attachments"
    await assert_channel_reads(alice, dev)


async def test_attachments_are_checked_like_slacks(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    too_many = alice.chat_postMessage(channel=dev, text="t", attachments=[{"fallback": "f"}] * 101)
    assert (await refusal(too_many))[0] == "too_many_attachments"
    image = [{"blocks": [{"type": "image", "image_url": "https://example.com/a.png"}]}]
    assert await refusal(alice.chat_postMessage(channel=dev, text="t", attachments=image)) == (
        "invalid_attachments",
        ["[ERROR] missing required field: alt_text [json-pointer:/attachments/0/blocks/0]"],
    )
    fields = [{"fallback": "f", "fields": ["not an object"]}]
    assert await refusal(alice.chat_postMessage(channel=dev, text="t", attachments=fields)) == (
        "invalid_attachments",
        ["[ERROR] expected an object [json-pointer:/attachments/0/fields/0]"],
    )
    # Found by tests/webapp/test_fuzz_content.py: it was stored, and broke history's shape.
    typed = [{"image_url": {"type": "plain_text"}, "fields": [{"short": "yes"}]}]
    assert await refusal(alice.chat_postMessage(channel=dev, text="t", attachments=typed)) == (
        "invalid_attachments",
        [
            "[ERROR] expected a string [json-pointer:/attachments/0/image_url]",
            "[ERROR] expected a boolean [json-pointer:/attachments/0/fields/0/short]",
        ],
    )
    kept = [{"fallback": "f", "color": "#36a64f", "fields": [{"title": "a", "value": "b"}]}]
    posted = await alice.chat_postMessage(channel=dev, text="t", attachments=kept)
    assert posted["message"]["attachments"] == [{**kept[0], "id": 1}]


@pytest.mark.usefixtures("edge_url")
async def test_webhooks_refuse_what_a_post_refuses(
    ctx: ServiceContext, server: str, alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    hook = await webhooks.create_webhook(ctx, workspace="acme", channel=dev)
    deep = "[" * 300 + "]" * 300  # past what orjson writes: sent as text
    payloads = {
        "invalid_blocks": '{"text": "x", "blocks": [{"type": "section", "x": ' + deep + "}]}",
        "invalid_attachments": '{"text": "x", "attachments": [{"x": ' + deep + "}]}",
    }
    async with httpx.AsyncClient() as http:
        for error, payload in payloads.items():
            answer = await http.post(hook.url(server), content=payload)
            assert (answer.status_code, answer.text) == (400, error)
    await assert_channel_reads(alice, dev)


@pytest.mark.usefixtures("edge_url")
async def test_a_nul_character_is_dropped_from_what_comes_in(
    ctx: ServiceContext,
    server: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
    dev: str,
) -> None:
    """PostgreSQL's text cannot hold U+0000: every backend drops it as it arrives
    (backchannel/nul.py), where it failed the statement with a 500 on PostgreSQL."""
    posted = await alice.chat_postMessage(channel=dev, text="nul\x00 here")
    assert posted["message"]["text"] == "nul here"
    blocks = [section("in\x00 blocks")]
    await alice.chat_postMessage(channel=dev, text="t", blocks=blocks)
    found = await alice.search_messages(query="nul\x00")
    assert [match["text"] for match in found["messages"]["matches"]] == ["nul here"]
    profile = await bob.users_profile_set(profile={"real_name": "Bob\x00 Builder"})
    assert profile["profile"]["real_name"] == "Bob Builder"
    await alice.conversations_setTopic(channel=dev, topic="topic\x00")
    assert (await alice.users_lookupByEmail(email="bob@acme.test\x00"))["user"]["name"] == "bob"
    hook = await webhooks.create_webhook(ctx, workspace="acme", channel=dev)
    async with httpx.AsyncClient() as http:
        answer = await http.post(hook.url(server), content=b'{"text": "hook\\u0000ed"}')
    assert answer.text == "ok"
    shown = (await alice.conversations_history(channel=dev))["messages"]
    assert shown[0]["text"] == "hooked"
    assert [m["blocks"][0]["text"]["text"] for m in shown if "blocks" in m] == ["in blocks"]
    await assert_channel_reads(alice, dev)
