"""Slack Connect: a channel shared with another organisation by invitation, decided by the
admins of each side, through Slack's SDK against a live server (docs/organisations.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import pytest

from backchannel.models import TokenInfo, Workspace
from backchannel.services import ServiceContext
from backchannel.services.people import users
from backchannel.services.tenancy import connect, workspaces
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Initech, client_for, error_of, post


@dataclass
class Umbrella:
    """Another organisation's workspace: uma is its admin, ulf is not."""

    workspace: Workspace
    uma: ValidatingAsyncWebClient
    ulf: ValidatingAsyncWebClient


@pytest.fixture
async def umbrella(ctx: ServiceContext, server: str) -> Umbrella:
    org = await workspaces.create_org(ctx, name="Umbrella Corp")
    workspace = await workspaces.create_workspace(
        ctx, name="Umbrella", domain="umbrella", org_id=org.id
    )
    uma = await users.create_user(
        ctx, workspace="umbrella", email="uma@umbrella.test", name="Uma", admin=True
    )
    ulf = await users.create_user(ctx, workspace="umbrella", email="ulf@umbrella.test", name="Ulf")
    return Umbrella(workspace, client_for(server, uma.token), client_for(server, ulf.token))


@pytest.fixture
async def projects(olivia: ValidatingAsyncWebClient) -> str:
    """#projects of Initech HQ, olivia (an admin of its organisation) in it."""
    return str((await olivia.conversations_create(name="projects"))["channel"]["id"])


async def _invite_team(client: ValidatingAsyncWebClient, channel: str, team_id: str) -> Any:
    """conversations.inviteShared to a workspace by id (Backchannel's `team_id`; the SDK's
    own helper insists on emails or user_ids, so this goes through api_call)."""
    return await client.api_call(
        "conversations.inviteShared", params={"channel": channel, "team_id": team_id}
    )


def _ids(channels: list[dict]) -> dict[str, dict]:
    return {channel["id"]: channel for channel in channels}


async def test_an_invitation_accepted_by_the_other_sides_admin(
    initech: Initech,
    umbrella: Umbrella,
    olivia: ValidatingAsyncWebClient,
    projects: str,
) -> None:
    umbrella_id = umbrella.workspace.id
    invite = (await _invite_team(olivia, projects, umbrella_id))["invite_id"]
    outgoing = (await olivia.conversations_listConnectInvites())["invites"]
    incoming = (await umbrella.uma.conversations_listConnectInvites())["invites"]
    assert [(i["direction"], i["invite"]["id"]) for i in outgoing] == [("outgoing", invite)]
    assert [(i["direction"], i["channel"]["name"]) for i in incoming] == [("incoming", "projects")]
    assert incoming[0]["invite"]["inviting_team"]["id"] == initech.hq.id
    # Nothing is shared until the other side's admin says so.
    assert projects not in _ids((await umbrella.uma.conversations_list())["channels"])
    assert (
        await error_of(
            umbrella.ulf.conversations_acceptSharedInvite(channel_name="projects", invite_id=invite)
        )
        == "not_an_admin"
    )

    accepted = await umbrella.uma.conversations_acceptSharedInvite(
        channel_name="projects", invite_id=invite
    )
    assert (accepted["channel_id"], accepted["invite_id"]) == (projects, invite)
    seen = _ids((await umbrella.uma.conversations_list())["channels"])[projects]
    assert (seen["is_ext_shared"], seen["is_org_shared"], seen["is_member"]) == (True, False, True)
    assert seen["shared_team_ids"] == [initech.hq.id, umbrella_id]
    ts = await post(umbrella.uma, projects, "hello from Umbrella")
    from_uma = (await olivia.conversations_history(channel=projects))["messages"][0]
    assert (from_uma["ts"], from_uma["user_team"]) == (ts, umbrella_id)
    # Used once: it is no longer open on either side.
    assert (await olivia.conversations_listConnectInvites())["invites"] == []
    assert (
        await error_of(
            umbrella.uma.conversations_acceptSharedInvite(channel_name="projects", invite_id=invite)
        )
        == "invite_already_used"
    )


async def test_an_invitation_to_a_persons_email(
    umbrella: Umbrella, olivia: ValidatingAsyncWebClient, projects: str
) -> None:
    await olivia.conversations_inviteShared(channel=projects, emails="ULF@umbrella.test")
    incoming = (await umbrella.ulf.conversations_listConnectInvites())["invites"]
    assert [i["invite"]["recipient_email"] for i in incoming] == ["ulf@umbrella.test"]
    accepted = await umbrella.uma.conversations_acceptSharedInvite(
        channel_name="projects", channel_id=projects
    )
    assert accepted["channel_id"] == projects
    assert projects in _ids((await umbrella.ulf.conversations_list())["channels"])


async def test_declined_withdrawn_and_expired_invitations_share_nothing(
    ctx: ServiceContext,
    initech: Initech,
    umbrella: Umbrella,
    olivia: ValidatingAsyncWebClient,
    projects: str,
) -> None:
    umbrella_id = umbrella.workspace.id
    declined = (await _invite_team(olivia, projects, umbrella_id))["invite_id"]
    await umbrella.uma.conversations_declineSharedInvite(invite_id=declined)
    assert (
        await error_of(
            umbrella.uma.conversations_acceptSharedInvite(channel_name="p", invite_id=declined)
        )
        == "invite_already_used"
    )
    withdrawn = (await _invite_team(olivia, projects, umbrella_id))["invite_id"]
    await olivia.conversations_declineSharedInvite(invite_id=withdrawn)
    assert (
        await error_of(
            umbrella.uma.conversations_acceptSharedInvite(channel_name="p", invite_id=withdrawn)
        )
        == "invite_already_used"
    )
    # One made fifteen days ago has lapsed.
    long_ago = replace(ctx, clock=lambda: time.time() - 15 * 24 * 3600)
    olivia_info = TokenInfo(initech.olivia.user.id, initech.hq.id, "user")
    old = await connect.invite_shared(
        long_ago, olivia_info, channel_id=projects, team_id=umbrella_id
    )
    assert (
        await error_of(
            umbrella.uma.conversations_acceptSharedInvite(channel_name="p", invite_id=old.id)
        )
        == "invite_expired"
    )
    assert (
        await error_of(
            umbrella.uma.conversations_acceptSharedInvite(channel_name="p", invite_id="I0000000000")
        )
        == "invite_not_found"
    )
    assert (await umbrella.uma.conversations_listConnectInvites())["invites"] == []
    assert projects not in _ids((await umbrella.uma.conversations_list())["channels"])
    info = (await olivia.conversations_info(channel=projects))["channel"]
    assert info["is_shared"] is False


async def test_bad_invitations_are_refused_and_filed_nowhere(
    server: str,
    initech: Initech,
    umbrella: Umbrella,
    olivia: ValidatingAsyncWebClient,
    projects: str,
) -> None:
    umbrella_id = umbrella.workspace.id
    archived = (await olivia.conversations_create(name="old-stuff"))["channel"]["id"]
    await olivia.conversations_archive(channel=archived)
    dm = (await olivia.conversations_open(users=initech.peter.user.id))["channel"]["id"]
    peter = client_for(server, initech.peter.token)
    await peter.conversations_join(channel=projects)
    lonely = (await peter.conversations_create(name="peters"))["channel"]["id"]
    cases = {
        "channel_is_archived": _invite_team(olivia, archived, umbrella_id),
        "channel_type_not_supported": _invite_team(olivia, dm, umbrella_id),
        "cannot_share_with_self": _invite_team(olivia, projects, initech.hq.id),
        "cannot_share_with_own_org": _invite_team(olivia, projects, initech.labs.id),
        "team_not_found": _invite_team(olivia, projects, "T00099ZZZZZ"),
        "user_not_found": olivia.conversations_inviteShared(
            channel=projects, user_ids="U00099ZZZZZ"
        ),
        "invalid_email": olivia.conversations_inviteShared(channel=projects, emails="not-an-email"),
        "invalid_arguments": olivia.api_call(
            "conversations.inviteShared",
            params={"channel": projects, "emails": "a@b.test", "team_id": umbrella_id},
        ),
        "restricted_action": _invite_team(peter, projects, umbrella_id),
        "not_in_channel": _invite_team(olivia, lonely, umbrella_id),
        "channel_not_found": _invite_team(umbrella.uma, projects, initech.hq.id),
    }
    for expected, call in cases.items():
        assert await error_of(call) == expected
    assert (await olivia.conversations_listConnectInvites())["invites"] == []
    assert (await umbrella.uma.conversations_listConnectInvites())["invites"] == []


async def test_each_side_may_leave_but_only_the_home_decides_for_others(
    initech: Initech,
    umbrella: Umbrella,
    olivia: ValidatingAsyncWebClient,
    projects: str,
) -> None:
    umbrella_id = umbrella.workspace.id
    await olivia.admin_conversations_setTeams(channel_id=projects, target_team_ids=initech.labs.id)
    invite = (await _invite_team(olivia, projects, umbrella_id))["invite_id"]
    await umbrella.uma.conversations_acceptSharedInvite(channel_name="projects", invite_id=invite)
    uma = umbrella.uma
    assert (
        await error_of(
            uma.admin_conversations_disconnectShared(
                channel_id=projects, leaving_team_ids=initech.hq.id
            )
        )
        == "cannot_kick_home_team"
    )
    assert (
        await error_of(
            uma.admin_conversations_disconnectShared(
                channel_id=projects, leaving_team_ids=initech.labs.id
            )
        )
        == "not_an_admin"
    )
    assert (
        await error_of(
            umbrella.ulf.admin_conversations_disconnectShared(
                channel_id=projects, leaving_team_ids=umbrella_id
            )
        )
        == "not_an_admin"
    )
    await uma.admin_conversations_disconnectShared(
        channel_id=projects, leaving_team_ids=umbrella_id
    )
    assert await error_of(uma.conversations_history(channel=projects)) == "channel_not_found"
    teams = (await olivia.admin_conversations_getTeams(channel_id=projects))["team_ids"]
    assert teams == [initech.hq.id, initech.labs.id]
