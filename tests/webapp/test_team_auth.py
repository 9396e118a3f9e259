"""team.info and auth.revoke, through Slack's own SDK."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex


async def test_team_info_describes_the_callers_workspace(
    bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    team = (await bob.team_info())["team"]
    assert (team["id"], team["name"], team["domain"]) == (acme.workspace.id, "Acme", "acme")
    assert (await bob.team_info(team=acme.workspace.id))["team"]["id"] == acme.workspace.id


async def test_team_info_of_another_workspace_is_not_found(
    alice: ValidatingAsyncWebClient, globex: Globex
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await alice.team_info(team=globex.workspace.id)
    assert refused.value.response["error"] == "team_not_found"


async def test_revoke_in_test_mode_keeps_the_token(bob: ValidatingAsyncWebClient) -> None:
    assert (await bob.auth_revoke(test=True))["revoked"] is False
    assert (await bob.auth_test())["user"] == "bob"


async def test_a_revoked_token_is_refused_and_others_still_work(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient
) -> None:
    assert (await bob.auth_revoke())["revoked"] is True
    for call in (bob.auth_test(), bob.auth_revoke()):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == "token_revoked"
    assert (await alice.auth_test())["user"] == "alice"
