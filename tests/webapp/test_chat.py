"""chat.*: posting, threads, DMs by user id, edits, deletions, permalinks, /me, ephemeral."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from backchannel.router import ShardFor
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.people import users
from backchannel.storage.schema import channels as channel_table
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import client_for, error_of


async def message_at(client: ValidatingAsyncWebClient, channel: str, ts: str) -> dict[str, Any]:
    """A message as a client reads it back (reactions.get returns the whole message)."""
    reply = await client.reactions_get(channel=channel, timestamp=ts)
    message: dict[str, Any] = reply["message"]
    return message


async def test_post_returns_the_stored_message(
    alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    posted = await alice.chat_postMessage(channel=dev, text="hello #dev")
    assert posted["channel"] == dev
    message = posted["message"]
    assert (message["text"], message["user"], message["team"]) == (
        "hello #dev",
        acme.alice.user.id,
        acme.workspace.id,
    )
    assert message["ts"] == posted["ts"]
    assert await message_at(alice, dev, posted["ts"]) == message


async def test_each_post_gets_a_later_ts(alice: ValidatingAsyncWebClient, dev: str) -> None:
    stamps = [(await alice.chat_postMessage(channel=dev, text=f"{n}"))["ts"] for n in range(5)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5


async def test_a_post_needs_text_blocks_or_attachments(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*bold*"}}]
    with pytest.warns(UserWarning, match="text"):  # the SDK nags about blank text
        assert await error_of(alice.chat_postMessage(channel=dev, text=" ")) == "no_text"
        posted = await alice.chat_postMessage(channel=dev, blocks=blocks)
    assert posted["message"]["blocks"] == blocks
    assert posted["message"]["text"] == ""


async def test_attachments_are_stored_and_numbered(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    posted = await alice.chat_postMessage(
        channel=dev, text="see", attachments=[{"fallback": "one"}, {"fallback": "two"}]
    )
    expected = [{"fallback": "one", "id": 1}, {"fallback": "two", "id": 2}]
    assert posted["message"]["attachments"] == expected
    assert (await message_at(alice, dev, posted["ts"]))["attachments"] == expected


async def test_text_over_40000_characters_is_too_long(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    assert (await alice.chat_postMessage(channel=dev, text="x" * 40_000))["ok"]
    too_long = alice.chat_postMessage(channel=dev, text="x" * 40_001)
    assert await error_of(too_long) == "msg_too_long"


async def test_a_retry_with_the_same_client_msg_id_returns_the_original(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    first = await alice.chat_postMessage(channel=dev, text="once", client_msg_id="c-1")
    again = await alice.chat_postMessage(channel=dev, text="once", client_msg_id="c-1")
    assert again["ts"] == first["ts"]
    assert again["message"]["client_msg_id"] == "c-1"
    other = await alice.chat_postMessage(channel=dev, text="twice", client_msg_id="c-2")
    assert other["ts"] != first["ts"]


async def test_only_members_may_post(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    quiet = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="quiet"
    )
    hidden = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="hid", is_private=True
    )
    assert await error_of(bob.chat_postMessage(channel=quiet.id, text="hi")) == "not_in_channel"
    assert await error_of(bob.chat_postMessage(channel=hidden.id, text="hi")) == "channel_not_found"
    for made_up in ("CNOPE", "CZZZZZ12345", acme.alice.user.id[:6] + "00000"):
        assert await error_of(bob.chat_postMessage(channel=made_up, text="x")) == (
            "channel_not_found"
        )


async def test_no_post_reaches_another_workspace(eve: ValidatingAsyncWebClient, dev: str) -> None:
    assert await error_of(eve.chat_postMessage(channel=dev, text="hi")) == "channel_not_found"


async def test_archived_channels_take_no_posts(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, dev: str
) -> None:
    async with ctx.router.write(ShardFor(dev)) as conn:
        await conn.execute(
            update(channel_table).where(channel_table.c.id == dev).values(is_archived=True)
        )
    assert await error_of(alice.chat_postMessage(channel=dev, text="hi")) == "is_archived"


async def test_posting_to_a_user_id_opens_their_dm(
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
    acme: Acme,
) -> None:
    first = await alice.chat_postMessage(channel=acme.bob.user.id, text="psst")
    assert first["channel"].startswith("D")
    answer = await bob.chat_postMessage(channel=acme.alice.user.id, text="yes?")
    assert answer["channel"] == first["channel"]
    assert (await message_at(bob, first["channel"], first["ts"]))["text"] == "psst"
    note = await alice.chat_postMessage(channel=acme.alice.user.id, text="note to self")
    assert note["channel"] != first["channel"]
    eve_tries = eve.chat_postMessage(channel=acme.alice.user.id, text="hi")
    assert await error_of(eve_tries) == "channel_not_found"
    peek = bob.reactions_get(channel=note["channel"], timestamp=note["ts"])
    assert await error_of(peek) == "channel_not_found"


async def test_bot_posts_carry_the_bot_id(
    ctx: ServiceContext, server: str, acme: Acme, dev: str
) -> None:
    made = await users.create_bot(ctx, workspace="acme", name="Robot")
    robot = client_for(server, made.token)
    assert await error_of(robot.chat_postMessage(channel=dev, text="beep")) == "not_in_channel"
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=made.user.id, channel_id=dev
    )
    message = (await robot.chat_postMessage(channel=dev, text="beep"))["message"]
    assert (message["bot_id"], message["user"]) == (made.bot.id, made.user.id)


async def test_replies_keep_the_thread_bookkeeping(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="question"))["ts"]
    first = await bob.chat_postMessage(channel=dev, text="a", thread_ts=root)
    await alice.chat_postMessage(channel=dev, text="b", thread_ts=root)
    # A reply to a reply lands in the root's thread.
    last = await bob.chat_postMessage(channel=dev, text="c", thread_ts=first["ts"])
    assert last["message"]["thread_ts"] == root
    assert last["message"]["parent_user_id"] == acme.alice.user.id
    parent = await message_at(alice, dev, root)
    assert parent["thread_ts"] == root
    assert parent["reply_count"] == 3
    assert parent["reply_users"] == [acme.bob.user.id, acme.alice.user.id]
    assert parent["latest_reply"] == last["ts"]


async def test_reply_users_are_the_first_five_repliers(
    ctx: ServiceContext, server: str, alice: ValidatingAsyncWebClient, dev: str, acme: Acme
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="roll call"))["ts"]
    repliers = []
    for n in range(6):
        made = await users.create_user(ctx, workspace="acme", email=f"p{n}@acme.test", name=f"P{n}")
        await channels.join_channel(
            ctx, workspace_id=acme.workspace.id, user_id=made.user.id, channel_id=dev
        )
        await client_for(server, made.token).chat_postMessage(
            channel=dev, text="here", thread_ts=root
        )
        repliers.append(made.user.id)
    parent = await message_at(alice, dev, root)
    assert parent["reply_users"] == repliers[:5]
    assert parent["reply_users_count"] == 6  # every replier counts, five are shown
    assert parent["reply_count"] == 6


async def test_a_broadcast_reply_is_marked(alice: ValidatingAsyncWebClient, dev: str) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="news"))["ts"]
    reply = await alice.chat_postMessage(
        channel=dev, text="everyone look", thread_ts=root, reply_broadcast=True
    )
    assert reply["message"]["subtype"] == "thread_broadcast"
    assert reply["message"]["thread_ts"] == root


async def test_replying_to_nothing_fails(alice: ValidatingAsyncWebClient, dev: str) -> None:
    orphan = alice.chat_postMessage(channel=dev, text="?", thread_ts="1000000000.000001")
    assert await error_of(orphan) == "thread_not_found"


async def test_only_the_author_edits(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    ts = (await alice.chat_postMessage(channel=dev, text="draft"))["ts"]
    assert await error_of(bob.chat_update(channel=dev, ts=ts, text="mine")) == (
        "cant_update_message"
    )
    edited = await alice.chat_update(channel=dev, ts=ts, text="final")
    assert (edited["channel"], edited["ts"], edited["text"]) == (dev, ts, "final")
    assert edited["message"]["edited"]["user"] == acme.alice.user.id
    stored = await message_at(bob, dev, ts)
    assert stored["text"] == "final" and stored["edited"] == edited["message"]["edited"]


async def test_an_edit_keeps_what_it_does_not_replace(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "hi"}}]
    ts = (
        await alice.chat_postMessage(
            channel=dev, text="hi", blocks=blocks, attachments=[{"fallback": "f"}]
        )
    )["ts"]
    await alice.chat_update(channel=dev, ts=ts, text="plain now")
    stored = await message_at(alice, dev, ts)
    assert "blocks" not in stored  # new text without blocks drops the blocks, as in Slack
    assert stored["attachments"] == [{"fallback": "f", "id": 1}]
    await alice.chat_update(channel=dev, ts=ts, text="bare", attachments=[])
    assert "attachments" not in await message_at(alice, dev, ts)
    with pytest.warns(UserWarning, match="text"):
        assert await error_of(alice.chat_update(channel=dev, ts=ts, text="")) == "no_text"


async def test_editing_a_missing_message_fails(alice: ValidatingAsyncWebClient, dev: str) -> None:
    missing = alice.chat_update(channel=dev, ts="1000000000.000001", text="x")
    assert await error_of(missing) == "message_not_found"


async def test_authors_and_admins_delete(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    mine = (await alice.chat_postMessage(channel=dev, text="alice's"))["ts"]
    assert await error_of(bob.chat_delete(channel=dev, ts=mine)) == "cant_delete_message"
    his = (await bob.chat_postMessage(channel=dev, text="bob's"))["ts"]
    assert (await alice.chat_delete(channel=dev, ts=his))["ts"] == his  # alice is an admin
    deleted = await bob.chat_delete(
        channel=dev, ts=(await bob.chat_postMessage(channel=dev, text="x"))["ts"]
    )
    assert deleted["channel"] == dev
    gone = alice.chat_getPermalink(channel=dev, message_ts=his)
    assert await error_of(gone) == "message_not_found"
    assert await error_of(alice.chat_delete(channel=dev, ts=his)) == "message_not_found"


async def test_a_deleted_root_with_replies_stays_as_a_tombstone(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="secret plan"))["ts"]
    reply = (await bob.chat_postMessage(channel=dev, text="ok", thread_ts=root))["ts"]
    await alice.chat_delete(channel=dev, ts=root)
    tombstone = await message_at(bob, dev, root)
    assert (tombstone["subtype"], tombstone["text"]) == ("tombstone", "This message was deleted.")
    assert tombstone["reply_count"] == 1
    # The tombstone goes with its last reply.
    await bob.chat_delete(channel=dev, ts=reply)
    assert await error_of(bob.reactions_get(channel=dev, timestamp=root)) == "message_not_found"


async def test_deleting_a_reply_updates_its_thread(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="q"))["ts"]
    first = (await alice.chat_postMessage(channel=dev, text="a", thread_ts=root))["ts"]
    last = (await bob.chat_postMessage(channel=dev, text="b", thread_ts=root))["ts"]
    await bob.chat_delete(channel=dev, ts=last)
    parent = await message_at(alice, dev, root)
    assert (parent["reply_count"], parent["latest_reply"]) == (1, first)
    assert parent["reply_users"] == [acme.alice.user.id]


async def test_permalinks_point_at_messages_and_threads(
    server: str, alice: ValidatingAsyncWebClient, dev: str
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="q"))["ts"]
    reply = (await alice.chat_postMessage(channel=dev, text="a", thread_ts=root))["ts"]
    link = (await alice.chat_getPermalink(channel=dev, message_ts=root))["permalink"]
    assert link == f"{server}/archives/{dev}/p{root.replace('.', '')}"
    threaded = (await alice.chat_getPermalink(channel=dev, message_ts=reply))["permalink"]
    assert threaded == (
        f"{server}/archives/{dev}/p{reply.replace('.', '')}?thread_ts={root}&cid={dev}"
    )
    # Each opens the web client, which goes to the message (tests/web/test_permalinks.py).
    async with httpx.AsyncClient() as http:
        for opened in (await http.get(link), await http.get(threaded)):
            assert opened.status_code == 200 and "text/html" in opened.headers["content-type"]
            assert '<script type="module" src="/client/js/main.js">' in opened.text


async def test_me_messages_have_their_subtype(alice: ValidatingAsyncWebClient, dev: str) -> None:
    reply = await alice.chat_meMessage(channel=dev, text="waves")
    assert reply["channel"] == dev
    stored = await message_at(alice, dev, reply["ts"])
    assert (stored["subtype"], stored["text"]) == ("me_message", "waves")


async def test_ephemeral_messages_go_to_members_and_are_not_kept(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    sent = await alice.chat_postEphemeral(channel=dev, user=acme.bob.user.id, text="only you")
    assert sent["message_ts"]
    kept = alice.chat_getPermalink(channel=dev, message_ts=sent["message_ts"])
    assert await error_of(kept) == "message_not_found"
    outsider = await users.create_user(ctx, workspace="acme", email="o@acme.test", name="Out")
    elsewhere = alice.chat_postEphemeral(channel=dev, user=outsider.user.id, text="hi")
    assert await error_of(elsewhere) == "user_not_in_channel"
