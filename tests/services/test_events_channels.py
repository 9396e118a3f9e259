"""The RTM events of channels, memberships, DMs and read markers."""

from __future__ import annotations

import pytest

from backchannel.errors import BackchannelError
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels, direct_messages
from backchannel.services.conversations import settings as channel_settings
from backchannel.services.messaging import history, messages
from backchannel.services.people import users
from tests.conftest import Acme, dev_channel
from tests.services.test_events_messages import listen, log_head


async def test_a_public_channel_is_announced_then_joined_by_its_creator(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)
    made = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="news"
    )
    created, joined = heard.events
    assert (created.type, created.scope) == ("channel_created", "workspace")
    assert created.payload["channel"] == {
        "id": made.id,
        "name": "news",
        "created": int(made.created),
        "creator": acme.alice.user.id,
    }
    assert (joined.type, joined.scope, joined.channel_id) == (
        "member_joined_channel",
        "channel",
        made.id,
    )
    assert (joined.user_id, joined.membership) == (acme.alice.user.id, "join")
    assert joined.payload["channel_type"] == "C"


async def test_a_private_channel_is_told_to_its_creator_only(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)
    made = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.bob.user.id, name="hush", is_private=True
    )
    joined, group = heard.events
    assert (joined.type, joined.membership, joined.payload["channel_type"]) == (
        "member_joined_channel",
        "join",
        "G",
    )
    assert (group.type, group.scope, group.user_id) == ("group_joined", "user", acme.bob.user.id)
    assert (group.payload["channel"]["id"], group.payload["channel"]["is_private"]) == (
        made.id,
        True,
    )
    assert all(event.scope != "workspace" for event in heard.events)


async def test_join_invite_kick_and_leave_change_membership(
    ctx: ServiceContext, acme: Acme
) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    news = (await channels.create_channel(ctx, workspace_id=ws, creator=alice, name="news")).id
    carol = (await users.create_user(ctx, workspace="acme", email="c@acme.test", name="Carol")).user
    heard = await listen(ctx)
    await channels.join_channel(ctx, workspace_id=ws, user_id=bob, channel_id=news)
    await channels.invite_to_channel(
        ctx, workspace_id=ws, inviter=alice, channel_id=news, user_ids=[carol.id]
    )
    await channels.kick_from_channel(
        ctx, workspace_id=ws, kicker=alice, channel_id=news, user_id=carol.id
    )
    await channels.leave_channel(ctx, workspace_id=ws, user_id=bob, channel_id=news)
    changes = [(event.type, event.user_id, event.membership) for event in heard.events]
    assert changes == [
        ("member_joined_channel", bob, "join"),
        ("member_joined_channel", carol.id, "join"),
        ("member_left_channel", carol.id, "leave"),
        ("member_left_channel", bob, "leave"),
    ]
    assert heard.events[1].payload["inviter"] == alice
    assert all(event.channel_id == news and event.scope == "channel" for event in heard.events)


async def test_an_invitee_to_a_private_channel_gets_it_whole(
    ctx: ServiceContext, acme: Acme
) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    hush = await channels.create_channel(
        ctx, workspace_id=ws, creator=alice, name="hush", is_private=True
    )
    heard = await listen(ctx)
    await channels.invite_to_channel(
        ctx, workspace_id=ws, inviter=alice, channel_id=hush.id, user_ids=[bob]
    )
    assert heard.kinds() == ["member_joined_channel", "group_joined"]
    assert heard.one("group_joined").user_id == bob


async def test_a_refused_membership_change_publishes_nothing(
    ctx: ServiceContext, acme: Acme
) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    news = (await channels.create_channel(ctx, workspace_id=ws, creator=alice, name="news")).id
    head = await log_head(ctx, ws)
    heard = await listen(ctx)
    with pytest.raises(BackchannelError):
        await channels.kick_from_channel(
            ctx, workspace_id=ws, kicker=alice, channel_id=news, user_id=bob
        )
    with pytest.raises(BackchannelError):
        # the second invitee is already in: the first one's joining is rolled back too
        await channels.invite_to_channel(
            ctx, workspace_id=ws, inviter=alice, channel_id=news, user_ids=[bob, alice]
        )
    assert not await channels.leave_channel(ctx, workspace_id=ws, user_id=bob, channel_id=news)
    assert heard.events == []
    assert await log_head(ctx, ws) == head


async def test_renaming_and_archiving_a_public_channel_tell_the_workspace(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    where = {"workspace_id": acme.workspace.id, "user_id": acme.bob.user.id, "channel_id": dev}
    heard = await listen(ctx)
    await channel_settings.rename_channel(ctx, **where, name="devs")
    await channel_settings.rename_channel(ctx, **where, name="devs")  # no change, no event
    await channel_settings.archive_channel(ctx, **where)
    await channel_settings.unarchive_channel(ctx, **where)
    assert heard.kinds() == ["channel_rename", "channel_archive", "channel_unarchive"]
    assert all(event.scope == "workspace" for event in heard.events)
    assert heard.one("channel_rename").payload["channel"]["name"] == "devs"
    assert heard.one("channel_archive").payload["channel"] == dev
    assert heard.one("channel_archive").payload["user"] == acme.bob.user.id


async def test_a_new_topic_or_purpose_is_a_message_in_the_channel(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    where = {"workspace_id": acme.workspace.id, "user_id": acme.bob.user.id, "channel_id": dev}
    heard = await listen(ctx)
    await channel_settings.set_topic(ctx, **where, topic="Release day")
    await channel_settings.set_purpose(ctx, **where, purpose="")
    assert heard.kinds() == ["channel_topic", "channel_purpose"]
    topic, purpose = (event.payload for event in heard.events)
    assert (topic["user"], topic["text"], topic["topic"]) == (
        acme.bob.user.id,
        "set the channel topic: Release day",
        "Release day",
    )
    assert (purpose["text"], purpose["purpose"]) == ("cleared the channel purpose", "")
    assert all(event.scope == "channel" and event.channel_id == dev for event in heard.events)
    shown = await history.channel_history(
        ctx, workspace_id=acme.workspace.id, user_id=acme.alice.user.id, channel_id=dev
    )
    assert [m.subtype for m in shown.messages[:2]] == ["channel_purpose", "channel_topic"]


async def test_a_private_channel_s_changes_stay_in_the_channel(
    ctx: ServiceContext, acme: Acme
) -> None:
    ws, alice = acme.workspace.id, acme.alice.user.id
    hush = await channels.create_channel(
        ctx, workspace_id=ws, creator=alice, name="hush", is_private=True
    )
    where = {"workspace_id": ws, "user_id": alice, "channel_id": hush.id}
    heard = await listen(ctx)
    await channel_settings.rename_channel(ctx, **where, name="quiet")
    await channel_settings.archive_channel(ctx, **where)
    await channel_settings.unarchive_channel(ctx, **where)
    assert heard.kinds() == ["group_rename", "group_archive", "group_unarchive"]
    assert all(event.scope == "channel" and event.channel_id == hush.id for event in heard.events)


async def test_opening_a_dm_tells_both_people_once(ctx: ServiceContext, acme: Acme) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    heard = await listen(ctx)
    opened = await direct_messages.open_conversation(
        ctx, workspace_id=ws, user_id=alice, with_users=[bob]
    )
    await direct_messages.open_conversation(ctx, workspace_id=ws, user_id=bob, with_users=[alice])
    assert heard.kinds() == ["im_created", "im_created"]
    for event, member, other in zip(heard.events, [alice, bob], [bob, alice], strict=True):
        assert (event.scope, event.user_id, event.membership) == ("user", member, "join")
        assert event.channel_id == opened.channel.id
        assert event.payload["user"] == member
        assert event.payload["channel"]["user"] == other
        assert event.payload["channel"]["is_im"] is True


async def test_a_group_dm_is_joined_by_each_member(ctx: ServiceContext, acme: Acme) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    carol = (await users.create_user(ctx, workspace="acme", email="c@acme.test", name="Carol")).user
    heard = await listen(ctx)
    opened = await direct_messages.open_conversation(
        ctx, workspace_id=ws, user_id=alice, with_users=[bob, carol.id]
    )
    assert heard.kinds() == ["mpim_joined"] * 3
    assert [event.user_id for event in heard.events] == [alice, bob, carol.id]
    assert all(
        event.membership == "join" and event.channel_id == opened.channel.id
        for event in heard.events
    )
    assert heard.events[0].payload["channel"]["is_mpim"] is True


async def test_marking_read_tells_only_the_reader(ctx: ServiceContext, acme: Acme) -> None:
    ws, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    dev = await dev_channel(ctx, acme)
    hush = await channels.create_channel(
        ctx, workspace_id=ws, creator=alice, name="hush", is_private=True
    )
    dm = await direct_messages.open_conversation(
        ctx, workspace_id=ws, user_id=alice, with_users=[bob]
    )
    heard = await listen(ctx)
    for channel_id in [dev, hush.id, dm.channel.id]:
        message = await messages.post_message(
            ctx, workspace_id=ws, user_id=alice, channel_id=channel_id, text="x"
        )
        heard.clear()
        await history.mark_read(
            ctx, workspace_id=ws, user_id=alice, channel_id=channel_id, ts=message.ts
        )
        [event] = heard.events
        assert (event.scope, event.user_id) == ("user", alice)
        assert (event.payload["channel"], event.payload["ts"]) == (channel_id, message.ts)
        assert event.type == {dev: "channel_marked", hush.id: "group_marked"}.get(
            channel_id, "im_marked"
        )
