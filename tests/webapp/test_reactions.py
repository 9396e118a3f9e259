"""reactions.*: adding, removing, reading and listing emoji reactions."""

from __future__ import annotations

import pytest

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import error_of, post


async def test_reactions_show_on_the_message(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="tada")
    await bob.reactions_add(channel=dev, timestamp=ts, name="+1")
    await bob.reactions_add(channel=dev, timestamp=ts, name="tada")
    got = await alice.reactions_get(channel=dev, timestamp=ts, full=True)
    assert (got["type"], got["channel"]) == ("message", dev)
    assert got["message"]["reactions"] == [
        {"name": "tada", "users": [acme.alice.user.id, acme.bob.user.id], "count": 2},
        {"name": "+1", "users": [acme.bob.user.id], "count": 1},
    ]


async def test_reacting_twice_is_already_reacted(alice: ValidatingAsyncWebClient, dev: str) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    again = alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    assert await error_of(again) == "already_reacted"


async def test_removing_takes_only_ones_own_reaction(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    await bob.reactions_add(channel=dev, timestamp=ts, name="eyes")
    await bob.reactions_remove(channel=dev, timestamp=ts, name="eyes")
    again = bob.reactions_remove(channel=dev, timestamp=ts, name="eyes")
    assert await error_of(again) == "no_reaction"
    got = await bob.reactions_get(channel=dev, timestamp=ts)
    assert got["message"]["reactions"] == [
        {"name": "eyes", "users": [acme.alice.user.id], "count": 1}
    ]
    await alice.reactions_remove(channel=dev, timestamp=ts, name="eyes")
    assert "reactions" not in (await bob.reactions_get(channel=dev, timestamp=ts))["message"]


@pytest.mark.parametrize(
    "name",
    [":eyes:", "Eyes", "two words", "", "fire\n", "fire\r\n", "\nfire", "fïre",
     "fire::skin-tone-7", "x" * 101],
)  # fmt: skip
async def test_emoji_names_must_be_well_formed(
    alice: ValidatingAsyncWebClient, dev: str, name: str
) -> None:
    ts = await post(alice, dev)
    assert await error_of(alice.reactions_add(channel=dev, timestamp=ts, name=name)) == (
        "invalid_name"
    )


async def test_a_name_and_a_newline_is_not_another_emoji(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="fire")
    for call in (alice.reactions_add, alice.reactions_remove):
        assert await error_of(call(channel=dev, timestamp=ts, name="fire\n")) == "invalid_name"
    got = await alice.reactions_get(channel=dev, timestamp=ts)
    assert [reaction["name"] for reaction in got["message"]["reactions"]] == ["fire"]


async def test_skin_tones_are_emoji_names(alice: ValidatingAsyncWebClient, dev: str) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="wave::skin-tone-3")
    got = await alice.reactions_get(channel=dev, timestamp=ts)
    assert got["message"]["reactions"][0]["name"] == "wave::skin-tone-3"


async def test_the_message_must_exist(alice: ValidatingAsyncWebClient, dev: str) -> None:
    missing = alice.reactions_add(channel=dev, timestamp="1000000000.000001", name="eyes")
    assert await error_of(missing) == "message_not_found"
    no_ts = alice.api_call("reactions.add", params={"channel": dev, "name": "eyes"})
    assert await error_of(no_ts) == "no_item_specified"
    garbled = alice.reactions_add(channel=dev, timestamp="yesterday", name="eyes")
    assert await error_of(garbled) == "bad_timestamp"


async def test_reactions_stay_in_their_workspace(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    for call in (
        eve.reactions_add(channel=dev, timestamp=ts, name="eyes"),
        eve.reactions_remove(channel=dev, timestamp=ts, name="eyes"),
        eve.reactions_get(channel=dev, timestamp=ts),
    ):
        assert await error_of(call) == "channel_not_found"
    assert (await eve.reactions_list())["items"] == []


async def test_list_is_newest_first_and_pages_with_a_cursor(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    stamps = [await post(alice, dev, f"m{n}") for n in range(5)]
    for ts in stamps:
        await alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    await alice.reactions_add(channel=dev, timestamp=stamps[0], name="tada")  # now the newest
    seen: list[str] = []
    cursor = None
    while True:
        page = await alice.reactions_list(limit=2, cursor=cursor)
        assert len(page["items"]) <= 2
        seen += [item["message"]["ts"] for item in page["items"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == [stamps[0], stamps[4], stamps[3], stamps[2], stamps[1]]
    first = (await alice.reactions_list(limit=1))["items"][0]
    assert first["channel"] == dev
    assert {r["name"] for r in first["message"]["reactions"]} == {"eyes", "tada"}


async def test_list_shows_only_conversations_the_caller_sees(
    ctx: ServiceContext,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
    dev: str,
) -> None:
    hideout = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.bob.user.id, name="bob", is_private=True
    )
    secret = await post(bob, hideout.id, "bob's secret")
    public = await post(alice, dev)
    await bob.reactions_add(channel=hideout.id, timestamp=secret, name="eyes")
    await bob.reactions_add(channel=dev, timestamp=public, name="eyes")
    own = await bob.reactions_list()
    assert [item["message"]["ts"] for item in own["items"]] == [public, secret]
    seen_by_alice = await alice.reactions_list(user=acme.bob.user.id)
    assert [item["message"]["ts"] for item in seen_by_alice["items"]] == [public]


async def test_listing_someone_unknown_is_user_not_found(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, acme: Acme
) -> None:
    assert await error_of(eve.reactions_list(user=acme.alice.user.id)) == "user_not_found"
    assert await error_of(alice.reactions_list(cursor="bm9wZQ==")) == "invalid_cursor"


async def test_deleting_a_message_drops_its_reactions(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.reactions_add(channel=dev, timestamp=ts, name="eyes")
    await alice.chat_delete(channel=dev, ts=ts)
    assert (await alice.reactions_list())["items"] == []
