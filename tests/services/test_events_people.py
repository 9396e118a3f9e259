"""The RTM events of people: new members and bots, profiles, deactivation, presence."""

from __future__ import annotations

import pytest

from backchannel.errors import AlreadyExists, AuthError
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.messaging import webhooks
from backchannel.services.people import presence, profiles, users
from tests.conftest import Acme, dev_channel
from tests.services.test_events_messages import listen, log_head


def token_of(acme: Acme, user: users.NewUser) -> TokenInfo:
    return TokenInfo(user.user.id, acme.workspace.id, "user")


async def test_a_new_member_joins_the_team_then_general(ctx: ServiceContext, acme: Acme) -> None:
    heard = await listen(ctx)
    carol = (await users.create_user(ctx, workspace="acme", email="c@acme.test", name="Carol")).user
    team_join, joined = heard.events
    assert (team_join.type, team_join.scope) == ("team_join", "workspace")
    assert (team_join.payload["user"]["id"], team_join.payload["user"]["real_name"]) == (
        carol.id,
        "Carol",
    )
    assert (joined.type, joined.user_id, joined.membership) == (
        "member_joined_channel",
        carol.id,
        "join",
    )


async def test_a_refused_new_member_publishes_nothing(ctx: ServiceContext, acme: Acme) -> None:
    head = await log_head(ctx, acme.workspace.id)
    heard = await listen(ctx)
    with pytest.raises(AlreadyExists):  # the handle "alice" is taken: the shard rolls back
        await users.create_user(ctx, workspace="acme", email="other@acme.test", name="Alice")
    assert heard.events == []
    assert await log_head(ctx, acme.workspace.id) == head


async def test_a_new_bot_joins_the_team(ctx: ServiceContext, acme: Acme) -> None:
    heard = await listen(ctx)
    made = await users.create_bot(ctx, workspace="acme", name="Deploy Bot")
    event = heard.one("team_join")
    assert event.payload["user"]["id"] == made.user.id
    assert event.payload["user"]["is_bot"] is True


async def test_a_webhook_s_bot_joins_the_team_and_its_channel(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    heard = await listen(ctx)
    made = await webhooks.create_webhook(ctx, workspace="acme", channel=dev)
    assert heard.kinds() == ["team_join", "member_joined_channel"]
    joined = heard.one("member_joined_channel")
    assert (joined.channel_id, joined.user_id, joined.membership) == (
        dev,
        made.webhook.bot_user_id,
        "join",
    )


async def test_a_profile_change_is_a_user_change_to_the_workspace(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)
    await profiles.set_profile(ctx, token_of(acme, acme.bob), {"title": "Builder"}, user_id=None)
    await profiles.set_profile(
        ctx, token_of(acme, acme.alice), {"display_name": "bobby"}, user_id=acme.bob.user.id
    )
    assert heard.kinds() == ["user_change", "user_change"]
    titled, renamed = (event.payload["user"] for event in heard.events)
    assert (titled["id"], titled["profile"]["title"]) == (acme.bob.user.id, "Builder")
    assert renamed["profile"]["display_name"] == "bobby"
    assert all(event.scope == "workspace" for event in heard.events)


async def test_a_refused_profile_change_publishes_nothing(ctx: ServiceContext, acme: Acme) -> None:
    heard = await listen(ctx)
    with pytest.raises(AuthError):
        await profiles.set_profile(
            ctx, token_of(acme, acme.bob), {"title": "Boss"}, user_id=acme.alice.user.id
        )
    assert heard.events == []


async def test_deactivating_someone_is_a_user_change(ctx: ServiceContext, acme: Acme) -> None:
    heard = await listen(ctx)
    await users.deactivate_user(ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id)
    user = heard.one("user_change").payload["user"]
    assert (user["id"], user["deleted"]) == (acme.bob.user.id, True)


async def test_setting_presence_is_a_live_presence_change(ctx: ServiceContext, acme: Acme) -> None:
    heard = await listen(ctx)
    bob = token_of(acme, acme.bob)
    await presence.set_presence(ctx, bob, "away")
    await presence.set_presence(ctx, bob, "away")  # no change, no event
    await presence.set_presence(ctx, bob, "auto")
    assert [event.payload for event in heard.events] == [
        {"type": "presence_change", "user": acme.bob.user.id, "presence": "away"},
        {"type": "presence_change", "user": acme.bob.user.id, "presence": "active"},
    ]
    assert all(event.scope == "workspace" and event.position is None for event in heard.events)
