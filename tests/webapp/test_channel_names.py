"""Channel names where Slack takes them: chat.postMessage, chat.meMessage and
chat.postEphemeral accept "#name" or "name" as well as an id, looked up in the caller's
workspace among what the caller may see (docs/webapp.md)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Initech, client_for, error_of


async def test_slack_sdks_readme_example_posts_to_a_channel_by_name(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme
) -> None:
    random = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="random"
    )
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=random.id
    )
    # slack_sdk's README, word for word.
    posted = await alice.chat_postMessage(channel="#random", text="Hello world!")
    assert posted["channel"] == random.id
    assert (await alice.chat_postMessage(channel="random", text="again"))["channel"] == random.id
    assert (await alice.chat_meMessage(channel="#random", text="waves"))["channel"] == random.id
    sent = await alice.chat_postEphemeral(channel="#random", user=acme.bob.user.id, text="psst")
    assert sent["message_ts"]
    history = (await alice.conversations_history(channel=random.id))["messages"]
    assert [m["text"] for m in history] == ["waves", "again", "Hello world!"]


async def test_a_name_finds_only_what_the_caller_may_see(
    ctx: ServiceContext,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
    acme: Acme,
    dev: str,
) -> None:
    secret = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="secret",
        is_private=True,
    )  # fmt: skip
    await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="quiet"
    )
    assert (await alice.chat_postMessage(channel="#secret", text="hi"))["channel"] == secret.id
    with pytest.raises(SlackApiError) as hidden:
        await bob.chat_postMessage(channel="#secret", text="hi")
    assert hidden.value.response["error"] == "channel_not_found"
    assert secret.id not in str(hidden.value.response.data)  # not even its id leaks
    # A public channel bob is not in: found, and refused as with its id.
    assert await error_of(bob.chat_postMessage(channel="#quiet", text="hi")) == "not_in_channel"
    assert await error_of(bob.chat_postMessage(channel="#nope", text="hi")) == "channel_not_found"
    # Names are of the caller's workspace: globex has no #dev, and its #general is its own.
    assert await error_of(eve.chat_postMessage(channel="#dev", text="hi")) == "channel_not_found"
    theirs = (await eve.chat_postMessage(channel="#general", text="hi"))["channel"]
    ours = (await alice.chat_postMessage(channel="#general", text="hi"))["channel"]
    assert theirs != ours and dev not in (theirs, ours)


async def test_a_channel_shared_into_the_workspace_is_found_by_its_name(
    server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    projects = (await olivia.conversations_create(name="projects"))["channel"]["id"]
    await olivia.admin_conversations_setTeams(
        channel_id=projects, team_id=initech.hq.id, target_team_ids=initech.labs.id
    )
    sam = client_for(server, initech.sam.token)
    await sam.conversations_join(channel=projects)
    assert (await sam.chat_postMessage(channel="#projects", text="hi"))["channel"] == projects
