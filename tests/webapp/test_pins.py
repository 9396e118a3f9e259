"""pins.*: pinning messages to their channel."""

from __future__ import annotations

from typing import Any

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import error_of, post


async def pins_of(client: ValidatingAsyncWebClient, channel: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.pins_list(channel=channel))["items"]
    return items


async def test_pins_are_listed_newest_first_with_who_pinned(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    first, second = await post(alice, dev, "rules"), await post(bob, dev, "faq")
    await alice.pins_add(channel=dev, timestamp=first)
    await bob.pins_add(channel=dev, timestamp=second)
    items = await pins_of(alice, dev)
    assert [(i["message"]["text"], i["created_by"]) for i in items] == [
        ("faq", acme.bob.user.id),
        ("rules", acme.alice.user.id),
    ]
    assert all(i["type"] == "message" and i["channel"] == dev for i in items)
    assert all(isinstance(i["created"], int) for i in items)


async def test_pinning_twice_is_already_pinned(alice: ValidatingAsyncWebClient, dev: str) -> None:
    ts = await post(alice, dev)
    await alice.pins_add(channel=dev, timestamp=ts)
    assert await error_of(alice.pins_add(channel=dev, timestamp=ts)) == "already_pinned"


async def test_unpinning(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    assert await error_of(bob.pins_remove(channel=dev, timestamp=ts)) == "no_pin"
    await alice.pins_add(channel=dev, timestamp=ts)
    await bob.pins_remove(channel=dev, timestamp=ts)
    assert await pins_of(alice, dev) == []


async def test_pins_need_a_message(alice: ValidatingAsyncWebClient, dev: str) -> None:
    missing = alice.pins_add(channel=dev, timestamp="1000000000.000001")
    assert await error_of(missing) == "message_not_found"
    assert await error_of(alice.pins_add(channel=dev)) == "no_item_specified"
    assert await error_of(alice.pins_add(channel=dev, timestamp="soon")) == "bad_timestamp"


async def test_only_members_pin_but_anyone_who_sees_lists(
    ctx: ServiceContext,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
) -> None:
    quiet = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="quiet"
    )
    ts = await post(alice, quiet.id)
    assert await error_of(bob.pins_add(channel=quiet.id, timestamp=ts)) == "not_in_channel"
    await alice.pins_add(channel=quiet.id, timestamp=ts)
    assert len(await pins_of(bob, quiet.id)) == 1


async def test_pins_stay_in_their_workspace(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.pins_add(channel=dev, timestamp=ts)
    for call in (
        eve.pins_add(channel=dev, timestamp=ts),
        eve.pins_remove(channel=dev, timestamp=ts),
        eve.pins_list(channel=dev),
    ):
        assert await error_of(call) == "channel_not_found"


async def test_pinned_messages_carry_their_reactions_and_leave_when_deleted(
    alice: ValidatingAsyncWebClient, dev: str
) -> None:
    ts = await post(alice, dev)
    await alice.pins_add(channel=dev, timestamp=ts)
    await alice.reactions_add(channel=dev, timestamp=ts, name="pushpin")
    (item,) = await pins_of(alice, dev)
    assert item["message"]["reactions"][0]["name"] == "pushpin"
    await alice.chat_delete(channel=dev, ts=ts)
    assert await pins_of(alice, dev) == []
