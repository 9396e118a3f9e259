"""chat.postMessage's options about the message itself: a bot's own name and icon
(`username`, `icon_emoji`, `icon_url`: Slack's chat:write.customize), message `metadata`,
and `link_names` (docs/webapp.md). Through Slack's SDK, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.app import Backchannel
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import live_edge, open_rtm
from tests.webapp.conftest import client_for, error_of

TASK = {"event_type": "task_created", "event_payload": {"id": "TK-1", "priority": 2}}


@pytest.fixture
async def robot(
    ctx: ServiceContext, server: str, acme: Acme, dev: str
) -> tuple[users.NewBot, ValidatingAsyncWebClient]:
    """A bot in #dev, and its client."""
    made = await users.create_bot(ctx, workspace="acme", name="Robot")
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=made.user.id, channel_id=dev
    )
    return made, client_for(server, made.token)


async def _latest(client: ValidatingAsyncWebClient, channel: str, **args: Any) -> dict[str, Any]:
    return dict(
        (await client.conversations_history(channel=channel, limit=1, **args))["messages"][0]
    )


# -- username and icons ----------------------------------------------------------------------


async def test_a_bot_posts_under_a_name_and_icon_of_its_own(
    deployment: Backchannel,
    ctx: ServiceContext,
    robot: tuple[users.NewBot, ValidatingAsyncWebClient],
    alice: ValidatingAsyncWebClient,
    acme: Acme,
    dev: str,
) -> None:
    bot, client = robot
    async with live_edge(deployment) as edge:
        bob = TokenInfo(acme.bob.user.id, acme.workspace.id, "user")
        bobs_socket = await open_rtm(ctx, edge, bob)
        try:
            posted = await client.chat_postMessage(
                channel=dev, text="deployed", username="Deploy Bot", icon_emoji=":rocket:"
            )
            heard = await bobs_socket.next("message")
        finally:
            await bobs_socket.close()
    message = posted["message"]
    assert (message["subtype"], message["bot_id"]) == ("bot_message", bot.bot.id)
    assert (message["username"], message["icons"]) == ("Deploy Bot", {"emoji": ":rocket:"})
    assert (heard["username"], heard["icons"]) == ("Deploy Bot", {"emoji": ":rocket:"})
    stored = await _latest(alice, dev)
    assert (stored["username"], stored["icons"], stored["subtype"]) == (
        "Deploy Bot", {"emoji": ":rocket:"}, "bot_message",
    )  # fmt: skip

    pictured = await client.chat_postMessage(
        channel=dev, text="built", icon_url="https://ci.example/bot.png"
    )
    assert pictured["message"]["icons"] == {"image_48": "https://ci.example/bot.png"}
    assert "username" not in pictured["message"]
    # As in Slack, an emoji wins over a picture; a name without colons is one all the same.
    both = await client.chat_postMessage(
        channel=dev, text="both", icon_emoji="ghost", icon_url="https://ci.example/bot.png"
    )
    assert both["message"]["icons"] == {"emoji": ":ghost:"}
    plain = (await client.chat_postMessage(channel=dev, text="plain"))["message"]
    assert "subtype" not in plain and "icons" not in plain and plain["user"] == bot.user.id


async def test_a_person_always_posts_as_themself(
    alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    # Slack's chat:write.customize is a bot token's scope: a user token's post ignores them.
    posted = await alice.chat_postMessage(
        channel=dev, text="hi", username="Not Alice", icon_emoji=":ghost:", icon_url="ftp://x"
    )
    message = posted["message"]
    assert message["user"] == acme.alice.user.id
    assert not {"username", "icons", "subtype"} & message.keys()


@pytest.mark.parametrize(
    "customised",
    [
        {"username": "x" * 81},
        {"icon_emoji": "not an emoji!"},
        {"icon_url": "javascript:alert(1)"},
        {"icon_url": "ftp://ci.example/bot.png"},
        {"icon_url": "https://"},
    ],
)
async def test_a_bad_name_or_icon_is_refused(
    robot: tuple[users.NewBot, ValidatingAsyncWebClient],
    dev: str,
    customised: dict[str, str],
) -> None:
    _, client = robot
    refused = client.chat_postMessage(channel=dev, text="x", **customised)
    assert await error_of(refused) == "invalid_arguments"


# -- metadata --------------------------------------------------------------------------------


async def test_metadata_is_kept_and_shown_when_asked_for(
    robot: tuple[users.NewBot, ValidatingAsyncWebClient],
    alice: ValidatingAsyncWebClient,
    dev: str,
) -> None:
    _, client = robot
    posted = await client.chat_postMessage(channel=dev, text="task made", metadata=TASK)
    assert posted["message"]["metadata"] == TASK
    assert "metadata" not in await _latest(alice, dev)
    assert (await _latest(alice, dev, include_all_metadata=True))["metadata"] == TASK
    await alice.chat_postMessage(channel=dev, text="on it", thread_ts=posted["ts"])
    thread = await alice.conversations_replies(
        channel=dev, ts=posted["ts"], include_all_metadata=True
    )
    assert thread["messages"][0]["metadata"] == TASK
    # A person's token may attach it too; a form sends it as a JSON string.
    form = await alice.api_call(
        "chat.postMessage",
        data={
            "channel": dev,
            "text": "form",
            "metadata": '{"event_type": "a", "event_payload": {}}',
        },
    )
    assert form["message"]["metadata"] == {"event_type": "a", "event_payload": {}}


BAD_METADATA = {
    "not JSON": ("{not json", "invalid_metadata_format"),
    "not an object": ("[1, 2]", "invalid_metadata_format"),
    "no payload": ('{"event_type": "task_created"}', "invalid_metadata_schema"),
    "no type": ('{"event_payload": {}}', "invalid_metadata_schema"),
    "an empty type": ('{"event_type": "", "event_payload": {}}', "invalid_metadata_schema"),
    "a payload not an object": (
        '{"event_type": "a", "event_payload": "b"}',
        "invalid_metadata_schema",
    ),
    "too large": (
        '{"event_type": "a", "event_payload": {"x": "' + "y" * 20_000 + '"}}',
        "metadata_too_large",
    ),
}


@pytest.mark.parametrize(("metadata", "error"), BAD_METADATA.values(), ids=BAD_METADATA.keys())
async def test_bad_metadata_gets_slacks_errors(
    alice: ValidatingAsyncWebClient, dev: str, metadata: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await alice.api_call(
            "chat.postMessage", data={"channel": dev, "text": "x", "metadata": metadata}
        )
    assert refused.value.response["error"] == error


# -- link_names ------------------------------------------------------------------------------


async def test_link_names_links_channels_and_everyone_but_not_people(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.bob.user.id, name="hidden",
        is_private=True,
    )  # fmt: skip
    text = "@here see #dev, not #hidden or #nothing; ask @bob <https://x.example/#dev|#dev>"
    linked = await alice.chat_postMessage(channel=dev, text=text, link_names=True)
    assert linked["message"]["text"] == (
        f"<!here> see <#{dev}|dev>, not #hidden or #nothing; ask @bob <https://x.example/#dev|#dev>"
    )
    assert (await _latest(alice, dev))["text"] == linked["message"]["text"]
    as_typed = await alice.chat_postMessage(channel=dev, text=text)
    assert as_typed["message"]["text"] == text
