"""conversations.* (but history and replies) and users.conversations, through slack_sdk."""

from __future__ import annotations

from typing import Any

import pytest

from backchannel.services import ServiceContext
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex, client_for, error_of


async def create(client: ValidatingAsyncWebClient, name: str, *, private: bool = False) -> str:
    return str((await client.conversations_create(name=name, is_private=private))["channel"]["id"])


async def listed(client: ValidatingAsyncWebClient, **args: Any) -> list[dict[str, Any]]:
    """Every conversation of conversations.list, following cursors."""
    found, cursor = [], None
    while True:
        page = await client.conversations_list(cursor=cursor, **args)
        found += page["channels"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return found


@pytest.fixture
async def carol(ctx: ServiceContext, acme: Acme) -> users.NewUser:
    return await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")


async def test_create_then_info_and_list(alice: ValidatingAsyncWebClient, acme: Acme) -> None:
    created = (await alice.conversations_create(name="launch"))["channel"]
    assert (created["name"], created["creator"]) == ("launch", acme.alice.user.id)
    assert created["is_channel"] and not created["is_private"]
    info = await alice.conversations_info(channel=created["id"], include_num_members=True)
    assert (info["channel"]["is_member"], info["channel"]["num_members"]) == (True, 1)
    mine = {c["name"]: c for c in await listed(alice)}
    assert set(mine) == {"general", "launch"}
    assert mine["general"]["num_members"] == 2 and mine["general"]["is_general"]


async def test_create_refuses_names_slack_refuses(alice: ValidatingAsyncWebClient) -> None:
    assert await error_of(alice.conversations_create(name="Launch")) == "invalid_name_specials"
    assert await error_of(alice.conversations_create(name="a b")) == "invalid_name_specials"
    assert await error_of(alice.conversations_create(name="x" * 81)) == "invalid_name_maxlength"
    assert await error_of(alice.conversations_create(name="--")) == "invalid_name_punctuation"
    assert await error_of(alice.conversations_create(name="")) == "invalid_name_required"
    assert await error_of(alice.conversations_create(name="general")) == "name_taken"


async def test_a_private_channel_is_seen_only_by_its_members(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    secret = await create(alice, "secret", private=True)
    assert await error_of(bob.conversations_info(channel=secret)) == "channel_not_found"
    assert await error_of(bob.conversations_join(channel=secret)) == "channel_not_found"
    everything = "public_channel,private_channel,mpim,im"
    assert secret not in {c["id"] for c in await listed(bob, types=everything)}
    private = await listed(alice, types="private_channel")
    assert [(c["id"], c["is_group"]) for c in private] == [(secret, True)]


async def test_join_and_leave(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    launch = await create(alice, "launch")
    joined = await bob.conversations_join(channel=launch)
    assert joined["channel"]["is_member"] and "warning" not in joined.data
    again = await bob.conversations_join(channel=launch)
    assert again["warning"] == "already_in_channel"
    assert (await bob.conversations_leave(channel=launch)).data == {"ok": True}
    assert (await bob.conversations_leave(channel=launch))["not_in_channel"] is True
    general = next(c["id"] for c in await listed(bob) if c["is_general"])
    assert await error_of(bob.conversations_leave(channel=general)) == "cant_leave_general"


async def test_the_last_member_cannot_leave_a_private_channel(
    alice: ValidatingAsyncWebClient,
) -> None:
    secret = await create(alice, "secret", private=True)
    assert await error_of(alice.conversations_leave(channel=secret)) == "last_member"


async def test_invite_and_kick(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, globex: Globex
) -> None:
    secret, bob_id = await create(alice, "secret", private=True), acme.bob.user.id
    invited = await alice.conversations_invite(channel=secret, users=[bob_id])
    assert invited["channel"]["id"] == secret
    assert (await bob.conversations_info(channel=secret))["channel"]["is_member"]
    again = alice.conversations_invite(channel=secret, users=bob_id)
    assert await error_of(again) == "already_in_channel"
    eve_id = globex.eve.user.id
    assert await error_of(alice.conversations_invite(channel=secret, users=eve_id)) == (
        "user_not_found"
    )
    assert await error_of(alice.conversations_invite(channel=secret, users="")) == "no_user"
    self_invite = alice.conversations_invite(channel=secret, users=acme.alice.user.id)
    assert await error_of(self_invite) == "cant_invite_self"
    await alice.conversations_kick(channel=secret, user=bob_id)
    assert await error_of(bob.conversations_info(channel=secret)) == "channel_not_found"
    assert await error_of(alice.conversations_kick(channel=secret, user=bob_id)) == (
        "not_in_channel"
    )
    kick_self = alice.conversations_kick(channel=secret, user=acme.alice.user.id)
    assert await error_of(kick_self) == "cant_kick_self"


async def test_nobody_is_kicked_from_general(alice: ValidatingAsyncWebClient, acme: Acme) -> None:
    general = next(c["id"] for c in await listed(alice) if c["is_general"])
    kick = alice.conversations_kick(channel=general, user=acme.bob.user.id)
    assert await error_of(kick) == "cant_kick_from_general"


async def test_archive_and_unarchive(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    launch = await create(alice, "launch")
    assert await error_of(bob.conversations_archive(channel=launch)) == "not_in_channel"
    await alice.conversations_archive(channel=launch)
    assert (await alice.conversations_info(channel=launch))["channel"]["is_archived"]
    assert await error_of(alice.conversations_archive(channel=launch)) == "already_archived"
    assert await error_of(bob.conversations_join(channel=launch)) == "is_archived"
    assert await error_of(alice.chat_postMessage(channel=launch, text="hi")) == "is_archived"
    assert launch not in {c["id"] for c in await listed(alice, exclude_archived=True)}
    await alice.conversations_unarchive(channel=launch)
    assert await error_of(alice.conversations_unarchive(channel=launch)) == "not_archived"
    general = next(c["id"] for c in await listed(alice) if c["is_general"])
    assert await error_of(alice.conversations_archive(channel=general)) == "cant_archive_general"


async def test_an_admin_may_archive_a_channel_they_are_not_in(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    bobs = await create(bob, "bobs-corner")
    await alice.conversations_archive(channel=bobs)
    assert (await bob.conversations_info(channel=bobs))["channel"]["is_archived"]


async def test_rename(alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient) -> None:
    launch = await create(alice, "launch")
    renamed = await alice.conversations_rename(channel=launch, name="liftoff")
    assert renamed["channel"]["name"] == "liftoff"
    assert await error_of(alice.conversations_rename(channel=launch, name="general")) == (
        "name_taken"
    )
    assert await error_of(bob.conversations_rename(channel=launch, name="mine")) == (
        "not_in_channel"
    )
    assert await error_of(alice.conversations_rename(channel=launch, name="Big")) == (
        "invalid_name_specials"
    )


async def test_topic_and_purpose(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    launch = await create(alice, "launch")
    topic = (await alice.conversations_setTopic(channel=launch, topic="T-minus 10"))["channel"]
    assert (topic["topic"]["value"], topic["topic"]["creator"]) == (
        "T-minus 10",
        acme.alice.user.id,
    )
    purpose = await alice.conversations_setPurpose(channel=launch, purpose="Ship it")
    assert purpose["channel"]["purpose"]["value"] == "Ship it"
    info = (await bob.conversations_info(channel=launch))["channel"]
    assert (info["topic"]["value"], info["purpose"]["value"]) == ("T-minus 10", "Ship it")
    assert await error_of(bob.conversations_setTopic(channel=launch, topic="x")) == (
        "not_in_channel"
    )
    assert await error_of(alice.conversations_setTopic(channel=launch, topic="x" * 251)) == (
        "too_long"
    )


async def test_members_page_with_cursors(
    alice: ValidatingAsyncWebClient, acme: Acme, carol: users.NewUser
) -> None:
    general = next(c["id"] for c in await listed(alice) if c["is_general"])
    seen, cursor = [], None
    while True:
        page = await alice.conversations_members(channel=general, limit=1, cursor=cursor)
        assert len(page["members"]) == 1
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([acme.alice.user.id, acme.bob.user.id, carol.user.id])


async def test_list_pages_with_cursors(alice: ValidatingAsyncWebClient) -> None:
    made = {await create(alice, f"room-{n}") for n in range(4)}
    first = await alice.conversations_list(limit=2)
    assert len(first["channels"]) == 2 and first["response_metadata"]["next_cursor"]
    everything = await listed(alice, limit=2)
    assert len(everything) == 5 and made < {c["id"] for c in everything}


async def test_a_foreign_cursor_is_refused(alice: ValidatingAsyncWebClient) -> None:
    members_cursor = "dXNlcjpVMDAwMDE="  # base64 of "user:U00001"
    assert await error_of(alice.conversations_list(cursor=members_cursor)) == "invalid_cursor"
    assert await error_of(alice.conversations_list(cursor="%%%")) == "invalid_cursor"


async def test_open_a_dm_once(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    opened = await alice.conversations_open(users=acme.bob.user.id)
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and opened["channel"] == {"id": dm}
    again = await bob.conversations_open(users=acme.alice.user.id, return_im=True)
    assert again["channel"]["id"] == dm and again["already_open"]
    assert (again["channel"]["is_im"], again["channel"]["user"]) == (True, acme.alice.user.id)
    resumed = await alice.conversations_open(channel=dm, return_im=True)
    assert resumed["channel"]["user"] == acme.bob.user.id
    ims = await listed(alice, types="im")
    assert [(c["id"], c["user"]) for c in ims] == [(dm, acme.bob.user.id)]
    assert await error_of(alice.conversations_join(channel=dm)) == (
        "method_not_supported_for_channel_type"
    )


async def test_a_dm_with_yourself(alice: ValidatingAsyncWebClient, acme: Acme) -> None:
    me = acme.alice.user.id
    opened = await alice.conversations_open(users=me, return_im=True)
    assert opened["channel"]["user"] == me
    assert (await alice.conversations_open(users=me))["channel"]["id"] == opened["channel"]["id"]
    assert (await alice.conversations_members(channel=opened["channel"]["id"]))["members"] == [me]


async def test_open_a_group_dm(
    alice: ValidatingAsyncWebClient, acme: Acme, carol: users.NewUser, server: str
) -> None:
    others = [acme.bob.user.id, carol.user.id]
    group = (await alice.conversations_open(users=others))["channel"]
    assert group["is_mpim"] and group["is_private"]
    carols = client_for(server, carol.token)
    same = await carols.conversations_open(users=[acme.alice.user.id, acme.bob.user.id])
    assert same["channel"]["id"] == group["id"] and same["already_open"]
    members = (await alice.conversations_members(channel=group["id"]))["members"]
    assert sorted(members) == sorted([acme.alice.user.id, *others])
    assert [c["id"] for c in await listed(carols, types="mpim")] == [group["id"]]
    dm_with_bob = (await alice.conversations_open(users=acme.bob.user.id))["channel"]["id"]
    assert dm_with_bob != group["id"]


async def test_open_refuses_what_slack_refuses(
    alice: ValidatingAsyncWebClient, globex: Globex
) -> None:
    assert await error_of(alice.conversations_open(users=globex.eve.user.id)) == "user_not_found"
    too_many = [f"U0000{n}ABCDE" for n in range(9)]
    assert await error_of(alice.conversations_open(users=too_many)) == "too_many_users"
    assert await error_of(alice.conversations_open(users="")) == "users_list_not_supplied"


async def test_users_conversations(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    secret = await create(alice, "secret", private=True)
    launch = await create(alice, "launch")
    mine = await alice.users_conversations(types="public_channel,private_channel")
    assert {c["name"] for c in mine["channels"]} == {"general", "secret", "launch"}
    assert all("is_member" not in c for c in mine["channels"])
    # Someone else's conversations: only their public channels.
    seen_by_bob = await bob.users_conversations(
        user=acme.alice.user.id, types="public_channel,private_channel"
    )
    assert {c["id"] for c in seen_by_bob["channels"]} >= {launch}
    assert secret not in {c["id"] for c in seen_by_bob["channels"]}
    assert await error_of(alice.users_conversations(types="rooms")) == "invalid_types"


async def test_mark_stores_the_read_marker(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    launch = await create(alice, "launch")
    posted = await alice.chat_postMessage(channel=launch, text="read me")
    await alice.conversations_mark(channel=launch, ts=posted["ts"])
    assert (await alice.conversations_info(channel=launch))["channel"]["last_read"] == posted["ts"]
    assert await error_of(bob.conversations_mark(channel=launch, ts=posted["ts"])) == (
        "not_in_channel"
    )
    assert await error_of(alice.conversations_mark(channel=launch, ts="soon")) == (
        "invalid_timestamp"
    )


async def test_another_workspace_sees_none_of_it(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, acme: Acme
) -> None:
    launch = await create(alice, "launch")
    assert await error_of(eve.conversations_info(channel=launch)) == "channel_not_found"
    assert await error_of(eve.conversations_members(channel=launch)) == "channel_not_found"
    assert await error_of(eve.conversations_open(users=acme.alice.user.id)) == "user_not_found"
    assert await error_of(eve.users_conversations(user=acme.alice.user.id)) == "user_not_found"
    assert [c["name"] for c in await listed(eve)] == ["general"]
