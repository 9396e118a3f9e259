"""users.*: the directory, presence and profiles, through Slack's own SDK."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from backchannel.services import ServiceContext
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex, client_for


async def slack_error(call: object) -> str:
    with pytest.raises(SlackApiError) as failed:
        await call  # type: ignore[misc]
    return str(failed.value.response["error"])


# --- users.list ------------------------------------------------------------------------


async def test_list_has_people_bots_and_deactivated_members(
    alice: ValidatingAsyncWebClient, acme: Acme, ctx: ServiceContext
) -> None:
    robo = await users.create_bot(ctx, workspace="acme", name="Robo")
    await users.deactivate_user(ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id)
    listed = await alice.users_list()
    members = {member["id"]: member for member in listed["members"]}
    assert set(members) == {acme.alice.user.id, acme.bob.user.id, robo.user.id}
    assert members[acme.bob.user.id]["deleted"] is True
    assert members[robo.user.id]["is_bot"] and members[robo.user.id]["profile"]["bot_id"]
    assert listed["response_metadata"]["next_cursor"] == ""
    # People sign in with their email; a bot has none to confirm.
    confirmed = {user_id: member["is_email_confirmed"] for user_id, member in members.items()}
    assert confirmed == {acme.alice.user.id: True, acme.bob.user.id: True, robo.user.id: False}
    seen = (await alice.users_info(user=acme.bob.user.id))["user"]
    assert seen["is_email_confirmed"] is True


async def test_list_pages_with_a_cursor(
    alice: ValidatingAsyncWebClient, acme: Acme, ctx: ServiceContext
) -> None:
    await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
    seen: list[str] = []
    cursor = None
    while True:
        page = await alice.users_list(limit=1, cursor=cursor)
        assert len(page["members"]) == 1
        seen += [member["id"] for member in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 and len(set(seen)) == 3


async def test_list_refuses_a_forged_cursor(alice: ValidatingAsyncWebClient) -> None:
    assert await slack_error(alice.users_list(cursor="not-ours")) == "invalid_cursor"


async def test_list_shows_only_the_callers_workspace(
    eve: ValidatingAsyncWebClient, globex: Globex
) -> None:
    members = (await eve.users_list())["members"]
    assert [member["id"] for member in members] == [globex.eve.user.id]


# --- users.info and users.lookupByEmail -----------------------------------------------


async def test_info_describes_a_member(bob: ValidatingAsyncWebClient, acme: Acme) -> None:
    user = (await bob.users_info(user=acme.alice.user.id, include_locale=True))["user"]
    assert (user["name"], user["real_name"], user["is_admin"]) == ("alice", "Alice", True)
    assert user["profile"]["email"] == "alice@acme.test" and user["locale"] == "en-US"


async def test_info_of_a_missing_or_foreign_user_is_not_found(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, acme: Acme, globex: Globex
) -> None:
    assert await slack_error(alice.users_info(user="U0000100000")) == "user_not_found"
    assert await slack_error(alice.users_info(user=globex.eve.user.id)) == "user_not_found"
    assert await slack_error(eve.users_info(user=acme.alice.user.id)) == "user_not_found"


async def test_lookup_by_email_ignores_case(bob: ValidatingAsyncWebClient, acme: Acme) -> None:
    user = (await bob.users_lookupByEmail(email="Alice@ACME.test"))["user"]
    assert user["id"] == acme.alice.user.id


async def test_lookup_by_email_finds_no_stranger_nor_deactivated_member(
    alice: ValidatingAsyncWebClient, eve: ValidatingAsyncWebClient, acme: Acme, ctx: ServiceContext
) -> None:
    assert await slack_error(alice.users_lookupByEmail(email="no@acme.test")) == "users_not_found"
    assert await slack_error(eve.users_lookupByEmail(email="alice@acme.test")) == "users_not_found"
    await users.deactivate_user(ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id)
    assert await slack_error(alice.users_lookupByEmail(email="bob@acme.test")) == "users_not_found"


# --- presence -------------------------------------------------------------------------


async def test_presence_is_active_until_set_away(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    mine = await alice.users_getPresence(user=acme.alice.user.id)
    assert (mine["presence"], mine["manual_away"], mine["connection_count"]) == ("active", False, 0)
    await alice.users_setPresence(presence="away")
    assert (await alice.users_getPresence(user=acme.alice.user.id))["manual_away"] is True
    seen_by_bob = await bob.users_getPresence(user=acme.alice.user.id)
    assert seen_by_bob.data == {"ok": True, "presence": "away"}
    await alice.users_setPresence(presence="auto")
    assert (await bob.users_getPresence(user=acme.alice.user.id))["presence"] == "active"


async def test_presence_refuses_other_choices_and_strangers(
    alice: ValidatingAsyncWebClient, acme: Acme, globex: Globex
) -> None:
    assert await slack_error(alice.users_setPresence(presence="busy")) == "invalid_presence"
    assert await slack_error(alice.users_getPresence(user=globex.eve.user.id)) == "user_not_found"


# --- users.profile.get / users.profile.set ----------------------------------------------


async def test_profile_get_of_self_and_of_a_colleague(
    alice: ValidatingAsyncWebClient, acme: Acme, globex: Globex
) -> None:
    assert (await alice.users_profile_get())["profile"]["email"] == "alice@acme.test"
    bobs = (await alice.users_profile_get(user=acme.bob.user.id))["profile"]
    assert bobs["real_name"] == "Bob"
    assert await slack_error(alice.users_profile_get(user=globex.eve.user.id)) == "user_not_found"


async def test_profile_set_changes_what_everyone_sees(
    bob: ValidatingAsyncWebClient, alice: ValidatingAsyncWebClient, acme: Acme
) -> None:
    before = (await alice.users_info(user=acme.bob.user.id))["user"]["updated"]
    changes = {"display_name": "bobby", "title": "Builder", "status_text": "On a roof"}
    reply = await bob.users_profile_set(profile={**changes, "status_emoji": ":hammer:"})
    assert reply["username"] == "bob" and reply["profile"]["title"] == "Builder"
    user = (await alice.users_info(user=acme.bob.user.id))["user"]
    assert user["profile"]["display_name"] == "bobby"
    assert user["profile"]["status_emoji"] == ":hammer:"
    assert user["updated"] >= before


async def test_profile_set_one_field_by_name_and_value(bob: ValidatingAsyncWebClient) -> None:
    profile = (await bob.users_profile_set(name="real_name", value="Robert Builder"))["profile"]
    assert (profile["first_name"], profile["last_name"]) == ("Robert", "Builder")
    profile = (await bob.users_profile_set(name="last_name", value="Smith"))["profile"]
    assert profile["real_name"] == "Robert Smith"


async def test_profile_set_refuses_bad_json_and_bad_values(
    server: str, acme: Acme, bob: ValidatingAsyncWebClient
) -> None:
    async with httpx.AsyncClient() as http:
        reply = await http.post(
            f"{server}/api/users.profile.set",
            data={"token": acme.bob.token, "profile": "{not json"},
        )
    assert reply.json()["error"] == "invalid_profile"
    assert await slack_error(bob.users_profile_set(profile={"title": 42})) == "invalid_profile"
    assert await slack_error(bob.users_profile_set(profile={"real_name": " "})) == "invalid_profile"


async def test_a_status_expiration_that_is_no_time_is_refused_and_reads_go_on(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    """A unix time before the year 10000 and nothing else: never a 500, and nothing stored
    that a read cannot show."""
    for value in (10**30, 1e30, 2**63, -1, "1e400", "NaN", "soon", True):
        refused = bob.users_profile_set(profile={"status_expiration": value})
        assert await slack_error(refused) == "invalid_profile", value
    by_name = bob.users_profile_set(name="status_expiration", value=str(10**30))
    assert await slack_error(by_name) == "invalid_profile"
    latest = 253_402_300_799  # the last second of the year 9999
    kept = await bob.users_profile_set(profile={"status_expiration": latest, "status_text": "x"})
    assert kept["profile"]["status_expiration"] == latest
    assert (await alice.users_info(user=acme.bob.user.id))["user"]["profile"]["status_text"] == "x"


async def test_an_expired_status_is_gone(bob: ValidatingAsyncWebClient) -> None:
    status = {"status_text": "Lunch", "status_emoji": ":taco:", "status_expiration": 1000}
    profile = (await bob.users_profile_set(profile=status))["profile"]
    assert (profile["status_text"], profile["status_expiration"]) == ("", 0)


async def test_only_admins_change_someone_elses_profile(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, globex: Globex
) -> None:
    changed = await alice.users_profile_set(user=acme.bob.user.id, name="title", value="Intern")
    assert changed["username"] == "bob" and changed["profile"]["title"] == "Intern"
    refused = bob.users_profile_set(user=acme.alice.user.id, name="title", value="Ex-boss")
    assert await slack_error(refused) == "not_admin"
    foreign = alice.users_profile_set(user=globex.eve.user.id, name="title", value="x")
    assert await slack_error(foreign) == "user_not_found"


async def test_a_bot_token_cannot_set_profiles(server: str, ctx: ServiceContext) -> None:
    robo = client_for(server, (await users.create_bot(ctx, workspace="acme", name="Robo")).token)
    assert await slack_error(robo.users_profile_set(name="title", value="x")) == "user_is_bot"


async def test_presence_defaults_to_the_caller(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{server}/api/users.getPresence", params={"token": acme.bob.token})
    assert reply.json()["presence"] == "active" and reply.json()["online"] is False
