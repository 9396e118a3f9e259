"""search.messages through slack_sdk: matching, ranking, paging, and who sees what."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.models import Channel, Message
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.messaging import messages
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex, client_for


async def _channel(ctx: ServiceContext, acme: Acme, name: str, *, private: bool = False) -> Channel:
    return await channels.create_channel(
        ctx,
        workspace_id=acme.workspace.id,
        creator=acme.alice.user.id,
        name=name,
        is_private=private,
    )


async def _post(ctx: ServiceContext, acme: Acme, channel_id: str, text: str) -> Message:
    return await messages.post_message(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.alice.user.id,
        channel_id=channel_id,
        text=text,
    )


async def _texts(client: ValidatingAsyncWebClient, query: str, **kwargs: Any) -> list[str]:
    reply = await client.search_messages(query=query, **kwargs)
    return [match["text"] for match in reply["messages"]["matches"]]


async def test_every_word_must_match_in_any_order(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    for text in ("the deploy failed on staging", "Staging: deploy went fine", "lunch?"):
        await _post(ctx, acme, ops.id, text)
    assert sorted(await _texts(alice, "staging DEPLOY")) == [
        "Staging: deploy went fine",
        "the deploy failed on staging",
    ]
    assert await _texts(alice, "deploy lunch") == []


async def test_a_quoted_phrase_matches_its_words_in_order(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    await _post(ctx, acme, ops.id, "the deploy failed on staging")
    await _post(ctx, acme, ops.id, "failed to deploy")
    assert await _texts(alice, '"deploy failed"') == ["the deploy failed on staging"]
    assert await _texts(alice, '"failed to" staging') == []


async def test_a_match_says_where_and_who(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient, server: str
) -> None:
    ops = await _channel(ctx, acme, "ops")
    posted = await _post(ctx, acme, ops.id, "rollback done")
    reply = await alice.search_messages(query="rollback")
    assert reply["query"] == "rollback"
    [match] = reply["messages"]["matches"]
    assert (match["ts"], match["user"], match["username"]) == (
        posted.ts,
        acme.alice.user.id,
        "alice",
    )
    assert match["team"] == acme.workspace.id
    assert (match["channel"]["id"], match["channel"]["name"]) == (ops.id, "ops")
    assert match["channel"]["is_private"] is False
    assert match["permalink"] == f"{server}/archives/{ops.id}/p{posted.ts.replace('.', '')}"
    # A reply's permalink names its thread, as chat.getPermalink's does (the web client
    # opens it there).
    reply_ts = (await alice.chat_postMessage(channel=ops.id, text="undo", thread_ts=posted.ts))[
        "ts"
    ]
    [found] = (await alice.search_messages(query="undo"))["messages"]["matches"]
    linked = await alice.chat_getPermalink(channel=ops.id, message_ts=reply_ts)
    assert found["permalink"] == linked["permalink"]
    assert found["permalink"].endswith(f"?thread_ts={posted.ts}&cid={ops.id}")


async def test_better_matches_come_first_unless_sorted_by_time(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    await _post(ctx, acme, ops.id, "outage " * 5 + "again")
    await _post(ctx, acme, ops.id, "a long note that mentions the outage only once, in passing")
    await _post(ctx, acme, ops.id, "outage outage outage")
    by_score = await _texts(alice, "outage")
    assert by_score[-1] == "a long note that mentions the outage only once, in passing"
    newest_first = await _texts(alice, "outage", sort="timestamp")
    assert newest_first[0] == "outage outage outage"
    assert await _texts(alice, "outage", sort="timestamp", sort_dir="asc") == newest_first[::-1]


async def test_count_and_page_walk_the_results(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    for n in range(5):
        await _post(ctx, acme, ops.id, f"ticket {n}")
    reply = await alice.search_messages(query="ticket", count=2, page=2, sort="timestamp")
    found = reply["messages"]
    assert [m["text"] for m in found["matches"]] == ["ticket 2", "ticket 1"]
    assert found["total"] == 5
    assert found["paging"] == {"count": 2, "total": 5, "page": 2, "pages": 3}
    assert found["pagination"] == {
        "total_count": 5,
        "page": 2,
        "per_page": 2,
        "page_count": 3,
        "first": 3,
        "last": 4,
    }
    assert await _texts(alice, "ticket", count=2, page=4) == []


async def test_a_cursor_walks_every_page_once(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    for n in range(5):
        await _post(ctx, acme, ops.id, f"ticket {n}")
    pages = []
    async for page in await alice.search_messages(
        query="ticket", count=2, cursor="*", sort="timestamp"
    ):
        pages.append([m["text"] for m in page["messages"]["matches"]])
    assert pages == [["ticket 4", "ticket 3"], ["ticket 2", "ticket 1"], ["ticket 0"]]


async def test_only_conversations_the_caller_may_read_are_searched(
    ctx: ServiceContext,
    acme: Acme,
    server: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
) -> None:
    public = await _channel(ctx, acme, "announcements")  # bob is not a member: still readable
    secret = await _channel(ctx, acme, "board", private=True)
    carol = await users.create_user(ctx, workspace="acme", email="c@acme.test", name="Carol")
    await _post(ctx, acme, public.id, "merger public note")
    await _post(ctx, acme, secret.id, "merger private note")
    await _post(ctx, acme, carol.user.id, "merger direct note")  # a DM with carol
    assert sorted(await _texts(alice, "merger")) == [
        "merger direct note",
        "merger private note",
        "merger public note",
    ]
    assert await _texts(bob, "merger") == ["merger public note"]
    as_carol = await client_for(server, carol.token).search_messages(query="direct")
    [dm] = as_carol["messages"]["matches"]
    assert dm["type"] == "im" and dm["channel"]["name"] == acme.alice.user.id


async def test_another_workspace_is_never_searched(
    ctx: ServiceContext,
    acme: Acme,
    globex: Globex,
    alice: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
) -> None:
    ops = await _channel(ctx, acme, "ops")
    await _post(ctx, acme, ops.id, "quarterly numbers")
    assert await _texts(eve, "quarterly") == []
    assert await _texts(alice, "quarterly") == ["quarterly numbers"]


async def test_edited_messages_match_their_new_text_and_deleted_ones_never(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    edited = await _post(ctx, acme, ops.id, "meeting on tuesday")
    gone = await _post(ctx, acme, ops.id, "meeting notes, draft")
    who = {"workspace_id": acme.workspace.id, "user_id": acme.alice.user.id, "channel_id": ops.id}
    await messages.update_message(ctx, **who, ts=edited.ts, text="meeting on wednesday")
    await messages.delete_message(ctx, **who, ts=gone.ts)
    assert await _texts(alice, "meeting") == ["meeting on wednesday"]
    assert await _texts(alice, "tuesday") == []
    assert await _texts(alice, "draft") == []


async def test_a_deleted_thread_root_is_not_found(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    root = await _post(ctx, acme, ops.id, "incident thread")
    who = {"workspace_id": acme.workspace.id, "user_id": acme.alice.user.id, "channel_id": ops.id}
    await messages.post_message(ctx, **who, text="incident update", thread_ts=root.ts)
    await messages.delete_message(ctx, **who, ts=root.ts)  # stays as a tombstone
    assert await _texts(alice, "incident") == ["incident update"]
    assert await _texts(alice, "deleted") == []


async def test_highlight_marks_the_matched_words(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    ops = await _channel(ctx, acme, "ops")
    await _post(ctx, acme, ops.id, "Disk full on db-2")
    assert await _texts(alice, "disk", highlight=True) == ["\ue000Disk\ue001 full on db-2"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unclosed phrase',
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "a*",
        "col:x",
        "-x",
        "'",
        "()",
        "🎉",
        "_",
    ],
)
async def test_query_syntax_is_never_an_error(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient, query: str
) -> None:
    ops = await _channel(ctx, acme, "ops")
    await _post(ctx, acme, ops.id, "AND OR NOT NEAR a b x col unclosed phrase")
    reply = await alice.search_messages(query=query)
    assert reply["messages"]["total"] == len(reply["messages"]["matches"])


async def test_a_missing_query_is_no_query(alice: ValidatingAsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        await alice.search_messages(query="   ")
    assert refused.value.response["error"] == "no_query"


async def test_a_bot_token_may_not_search(ctx: ServiceContext, server: str) -> None:
    bot = await users.create_bot(ctx, workspace="acme", name="Deploy Bot")
    with pytest.raises(SlackApiError) as refused:
        await client_for(server, bot.token).search_messages(query="anything")
    assert refused.value.response["error"] == "not_allowed_token_type"


async def test_bad_paging_arguments_say_which(alice: ValidatingAsyncWebClient) -> None:
    huge = base64.urlsafe_b64encode(b"search:99999999999999999999999").decode()
    for wrong in (
        {"page": 0},
        {"page": 101},
        {"sort": "loudness"},
        {"sort_dir": "sideways"},
        {"cursor": "bm9w"},
        {"cursor": huge},
    ):
        with pytest.raises(SlackApiError) as refused:
            await alice.search_messages(query="x", **wrong)
        assert refused.value.response["error"] in ("invalid_arguments", "invalid_cursor")
