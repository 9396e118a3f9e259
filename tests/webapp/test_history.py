"""conversations.history and conversations.replies, through slack_sdk."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from backchannel.services import ServiceContext
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import client_for, error_of, post


@pytest.fixture
async def dev(alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient) -> str:
    """#dev, a public channel with alice and bob in it."""
    channel = str((await alice.conversations_create(name="dev"))["channel"]["id"])
    await bob.conversations_join(channel=channel)
    return channel


async def texts(client: ValidatingAsyncWebClient, channel: str, **args: Any) -> list[str]:
    reply = await client.conversations_history(channel=channel, **args)
    return [message["text"] for message in reply["messages"]]


async def test_history_is_newest_first(alice: ValidatingAsyncWebClient, dev: str) -> None:
    for n in range(3):
        await post(alice, dev, f"m{n}")
    reply = await alice.conversations_history(channel=dev)
    assert [m["text"] for m in reply["messages"]] == ["m2", "m1", "m0"]
    assert (reply["has_more"], reply["pin_count"]) == (False, 0)


async def test_history_pages_with_latest_while_has_more(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    for n in range(5):
        await post(alice, dev, f"m{n}")
    seen, latest = [], None
    while True:
        page = await alice.conversations_history(channel=dev, limit=2, latest=latest)
        seen += [m["text"] for m in page["messages"]]
        if not page["has_more"]:
            break
        latest = page["messages"][-1]["ts"]
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


async def test_history_bounds(alice: ValidatingAsyncWebClient, dev: str) -> None:
    stamps = [await post(alice, dev, f"m{n}") for n in range(4)]
    assert await texts(alice, dev, oldest=stamps[1], latest=stamps[3]) == ["m2"]
    inclusive = await texts(alice, dev, oldest=stamps[1], latest=stamps[3], inclusive=True)
    assert inclusive == ["m3", "m2", "m1"]
    assert await texts(alice, dev, oldest="0", latest="9999999999") == ["m3", "m2", "m1", "m0"]
    assert await texts(alice, dev, latest="1000") == []
    bad = alice.conversations_history(channel=dev, latest="yesterday")
    assert await error_of(bad) == "invalid_ts_latest"


async def test_thread_replies_stay_in_their_thread(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    root = await post(alice, dev, "root")
    await post(bob, dev, "quiet reply", thread_ts=root)
    await post(bob, dev, "loud reply", thread_ts=root, reply_broadcast=True)
    await post(alice, dev, "after")
    assert await texts(alice, dev) == ["after", "loud reply", "root"]
    listed_root = (await alice.conversations_history(channel=dev, latest=root, inclusive=True))[
        "messages"
    ][0]
    assert (listed_root["reply_count"], listed_root["thread_ts"]) == (2, root)


async def test_replies_start_with_the_root(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    root = await post(alice, dev, "root")
    first = await post(bob, dev, "one", thread_ts=root)
    await post(alice, dev, "two", thread_ts=root)
    reply = await bob.conversations_replies(channel=dev, ts=root)
    assert [m["text"] for m in reply["messages"]] == ["root", "one", "two"]
    head, *rest = reply["messages"]
    assert (head["reply_count"], head["subscribed"], reply["has_more"]) == (2, True, False)
    assert {m["parent_user_id"] for m in rest} == {acme.alice.user.id}
    from_reply = await alice.conversations_replies(channel=dev, ts=first)
    assert [m["text"] for m in from_reply["messages"]] == ["root", "one", "two"]


async def test_replies_page_with_oldest(alice: ValidatingAsyncWebClient, dev: str) -> None:
    root = await post(alice, dev, "root")
    for n in range(3):
        await post(alice, dev, f"r{n}", thread_ts=root)
    page = await alice.conversations_replies(channel=dev, ts=root, limit=2)
    assert [m["text"] for m in page["messages"]] == ["root", "r0", "r1"] and page["has_more"]
    rest = await alice.conversations_replies(
        channel=dev, ts=root, limit=2, oldest=page["messages"][-1]["ts"]
    )
    assert [m["text"] for m in rest["messages"]] == ["root", "r2"] and not rest["has_more"]


async def test_an_unthreaded_message_is_a_thread_of_one(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    lone = await post(alice, dev, "alone")
    reply = await alice.conversations_replies(channel=dev, ts=lone)
    assert [(m["text"], m["reply_count"]) for m in reply["messages"]] == [("alone", 0)]


async def test_replies_of_nothing(alice: ValidatingAsyncWebClient, dev: str) -> None:
    missing = alice.conversations_replies(channel=dev, ts="1000000000.000001")
    assert await error_of(missing) == "thread_not_found"


async def test_deleted_messages_are_not_shown(alice: ValidatingAsyncWebClient, dev: str) -> None:
    kept = await post(alice, dev, "kept")
    gone = await post(alice, dev, "gone")
    await alice.chat_delete(channel=dev, ts=gone)
    assert await texts(alice, dev) == ["kept"]
    root = kept
    reply = await post(alice, dev, "reply", thread_ts=root)
    await alice.chat_delete(channel=dev, ts=reply)
    thread = await alice.conversations_replies(channel=dev, ts=root)
    assert [m["text"] for m in thread["messages"]] == ["kept"]


async def test_history_shows_reactions_and_pins(alice: ValidatingAsyncWebClient, dev: str) -> None:
    ts = await post(alice, dev, "ship it")
    await alice.reactions_add(channel=dev, timestamp=ts, name="rocket")
    await alice.pins_add(channel=dev, timestamp=ts)
    reply = await alice.conversations_history(channel=dev)
    assert reply["messages"][0]["reactions"] == [
        {"name": "rocket", "users": [reply["messages"][0]["user"]], "count": 1}
    ]
    assert reply["pin_count"] == 1


async def test_who_may_read_history(
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
    ctx: ServiceContext,
    server: str,
    dev: str,
) -> None:
    secret = (await alice.conversations_create(name="secret", is_private=True))["channel"]["id"]
    await post(alice, secret, "hush")
    assert await error_of(bob.conversations_history(channel=secret)) == "channel_not_found"
    assert await error_of(eve.conversations_history(channel=dev)) == "channel_not_found"
    assert await error_of(eve.conversations_replies(channel=dev, ts="1000000000.000001")) == (
        "channel_not_found"
    )
    # A person reads any public channel; a bot only those it is in, as in Slack.
    await bob.conversations_leave(channel=dev)
    assert (await bob.conversations_history(channel=dev))["ok"]
    robot = await users.create_bot(ctx, workspace="acme", name="Robot")
    bot = client_for(server, robot.token)
    assert await error_of(bot.conversations_history(channel=dev)) == "not_in_channel"
    await bot.conversations_join(channel=dev)
    assert (await bot.conversations_history(channel=dev))["ok"]


async def test_a_cursor_of_another_method_is_refused(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    list_cursor = "Y2hhbm5lbDpDMDAwMDE="  # base64 of "channel:C00001"
    assert await error_of(alice.conversations_history(channel=dev, cursor=list_cursor)) == (
        "invalid_cursor"
    )


async def test_history_takes_slacks_cursor_format(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    stamps = [await post(alice, dev, f"m{n}") for n in range(3)]
    cursor = base64.urlsafe_b64encode(f"next_ts:{stamps[1]}".encode()).decode()
    assert await texts(alice, dev, cursor=cursor) == ["m1", "m0"]
