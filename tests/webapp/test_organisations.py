"""Organisations: admin.teams.*, admin.users.assign/remove and a person's seats in several
workspaces with one id, through Slack's SDK against a live server (docs/organisations.md)."""

from __future__ import annotations

import httpx
import pytest

from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.people import users
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import INITECH_PASSWORD as PASSWORD
from tests.webapp.conftest import Initech, client_for, error_of


async def _sign_in(
    ctx: ServiceContext, server: str, workspace: str, email: str
) -> ValidatingAsyncWebClient:
    token = await auth.sign_in(ctx, workspace=workspace, email=email, password=PASSWORD)
    return client_for(server, token)


async def test_an_org_admin_creates_a_workspace_and_sits_in_it(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    made = await olivia.admin_teams_create(team_domain="initech-west", team_name="Initech West")
    listed = (await olivia.admin_teams_list())["teams"]
    assert [team["name"] for team in listed] == sorted(
        ["Initech HQ", "Initech Labs", "Initech West"],
        key=lambda name: {t["name"]: t["id"] for t in listed}[name],
    )
    assert made["team"] in {team["id"] for team in listed}
    # The creator sits in the new workspace, as its owner, under the same id.
    mine = (await olivia.auth_teams_list())["teams"]
    assert [team["id"] for team in mine] == [initech.hq.id, made["team"]]
    west = await _sign_in(ctx, server, "initech-west", "olivia@initech.test")
    me = await west.auth_test()
    assert (me["team_id"], me["user_id"]) == (made["team"], initech.olivia.user.id)
    profile = (await west.users_info(user=initech.olivia.user.id))["user"]
    assert profile["is_owner"] and profile["team_id"] == made["team"]


async def test_admin_teams_list_pages(olivia: ValidatingAsyncWebClient, initech: Initech) -> None:
    first = await olivia.admin_teams_list(limit=1)
    cursor = first["response_metadata"]["next_cursor"]
    second = await olivia.admin_teams_list(limit=1, cursor=cursor)
    assert [t["id"] for t in first["teams"] + second["teams"]] == sorted(
        [initech.hq.id, initech.labs.id]
    )
    assert second["response_metadata"]["next_cursor"] == ""


async def test_an_assigned_person_keeps_one_id_and_one_profile_in_both_workspaces(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    peter = initech.peter.user
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter.id)
    sam = client_for(server, initech.sam.token)
    seen = (await sam.users_info(user=peter.id))["user"]
    assert (seen["id"], seen["team_id"], seen["real_name"]) == (peter.id, initech.labs.id, "Peter")
    assert peter.id in (await sam.conversations_members(channel=await _general(sam)))["members"]
    # One person: signing in to Labs opens Peter's seat there, and a profile change made in
    # HQ shows in Labs.
    in_labs = await _sign_in(ctx, server, "initech-labs", "peter@initech.test")
    assert (await in_labs.auth_test())["user_id"] == peter.id
    in_hq = client_for(server, initech.peter.token)
    await in_hq.users_profile_set(profile={"real_name": "Peter Gibbons", "title": "Engineer"})
    seen = (await sam.users_info(user=peter.id))["user"]
    assert (seen["real_name"], seen["profile"]["title"]) == ("Peter Gibbons", "Engineer")
    teams = (await in_hq.auth_teams_list())["teams"]
    assert [t["id"] for t in teams] == [initech.hq.id, initech.labs.id]


async def test_an_assigned_person_whose_handle_is_taken_gets_the_first_free_one(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    """Handles are per workspace: Labs has a peter already, so Peter's seat there is the
    first free peter-2 (the one rule of imports and webhooks too)."""
    await users.create_user(ctx, workspace=initech.labs.id, email="pete@other.test", name="Peter")
    peter = initech.peter.user.id
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter)
    sam = client_for(server, initech.sam.token)
    assert (await sam.users_info(user=peter))["user"]["name"] == "peter-2"
    in_hq = client_for(server, initech.peter.token)
    assert (await in_hq.users_info(user=peter))["user"]["name"] == "peter"


async def test_assigning_into_public_channels(
    server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    sam = client_for(server, initech.sam.token)
    research = (await sam.conversations_create(name="research"))["channel"]["id"]
    peter = initech.peter.user.id
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter, channel_ids=research)
    assert peter in (await sam.conversations_members(channel=research))["members"]


async def test_a_removed_seat_is_closed_and_the_others_stay(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    peter = initech.peter.user.id
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter)
    in_labs = await _sign_in(ctx, server, "initech-labs", "peter@initech.test")
    await olivia.admin_users_remove(team_id=initech.labs.id, user_id=peter)
    assert await error_of(in_labs.auth_test()) == "token_revoked"
    sam = client_for(server, initech.sam.token)
    assert (await sam.users_info(user=peter))["user"]["deleted"] is True
    assert (await client_for(server, initech.peter.token).auth_test())["user_id"] == peter
    with pytest.raises(Exception, match="wrong email or password"):
        await auth.sign_in(
            ctx, workspace="initech-labs", email="peter@initech.test", password=PASSWORD
        )
    # Assigned again, the same seat comes back.
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter)
    assert (await sam.users_info(user=peter))["user"]["deleted"] is False


async def test_changing_someone_elses_profile_needs_the_right_wherever_it_reaches(
    ctx: ServiceContext, server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    """A person has one profile in all their seats, so a change to it reaches every one:
    Lana, an admin of Labs alone, may change the people who sit only where she is an admin;
    an admin of the organisation anyone's, through any seat; everyone their own."""
    labs = initech.labs.id
    olivia_id, peter_id, sam_id = (p.user.id for p in (initech.olivia, initech.peter, initech.sam))
    for person in (olivia_id, peter_id):  # plain members in Labs
        await olivia.admin_users_assign(team_id=labs, user_id=person)
    lana = await users.create_user(
        ctx, workspace=labs, email="lana@initech.test", name="Lana", admin=True
    )
    in_labs = client_for(server, lana.token)
    in_hq = client_for(server, initech.peter.token)

    async def display_names(user_id: str) -> list[str]:
        """As HQ and as Labs have the person."""
        seats = [await c.users_info(user=user_id) for c in (in_hq, in_labs)]
        return [seat["user"]["profile"]["display_name"] for seat in seats]

    await in_labs.users_profile_set(user=sam_id, profile={"title": "Lab tech"})
    # Olivia administers the organisation, above any workspace's admin.
    refused = in_labs.users_profile_set(user=olivia_id, profile={"display_name": "ex-boss"})
    assert await error_of(refused) == "cannot_update_admin_user"
    # Peter sits in HQ too, where Lana is nobody.
    refused = in_labs.users_profile_set(user=peter_id, profile={"display_name": "pete"})
    assert await error_of(refused) == "not_admin"
    assert await display_names(olivia_id) == await display_names(peter_id) == ["", ""]

    # The organisation's admin may, even through the seat where she is a plain member.
    olivia_in_labs = await _sign_in(ctx, server, "initech-labs", "olivia@initech.test")
    await olivia_in_labs.users_profile_set(user=peter_id, profile={"display_name": "pete"})
    assert await display_names(peter_id) == ["pete", "pete"]
    await in_hq.users_profile_set(profile={"display_name": "Pete G."})
    assert await display_names(peter_id) == ["Pete G.", "Pete G."]


async def test_only_an_org_admin_administers_and_only_their_own_org(
    server: str,
    initech: Initech,
    acme: Acme,
    olivia: ValidatingAsyncWebClient,
    alice: ValidatingAsyncWebClient,
) -> None:
    peter = client_for(server, initech.peter.token)
    labs, sam = initech.labs.id, initech.sam.user.id
    assert await error_of(peter.admin_teams_list()) == "not_an_admin"
    assert await error_of(peter.admin_users_assign(team_id=labs, user_id=sam)) == "not_an_admin"
    # acme is in no organisation: its admin administers none.
    assert await error_of(alice.admin_teams_create(team_domain="x", team_name="X")) == (
        "not_an_enterprise"
    )
    # Another organisation's workspace and people are out of reach.
    assert (
        await error_of(olivia.admin_users_assign(team_id=acme.workspace.id, user_id=sam))
        == "team_not_found"
    )
    assert (
        await error_of(olivia.admin_users_assign(team_id=labs, user_id=acme.bob.user.id))
        == "user_not_found"
    )
    assert await error_of(olivia.admin_users_remove(team_id=labs, user_id=acme.bob.user.id)) == (
        "user_not_found"
    )


async def test_bad_assignments_change_nothing(
    server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    labs, peter = initech.labs.id, initech.peter.user.id
    sam = client_for(server, initech.sam.token)
    assert (
        await error_of(
            olivia.admin_users_assign(team_id=labs, user_id=peter, channel_ids="C00009ZZZZZ")
        )
        == "channel_not_found"
    )
    assert await error_of(sam.users_info(user=peter)) == "user_not_found"
    assert await error_of(olivia.admin_users_assign(team_id=labs, user_id=initech.sam.user.id)) == (
        "user_already_team_member"
    )
    assert await error_of(olivia.admin_users_assign(team_id="T00099ZZZZZ", user_id=peter)) == (
        "team_not_found"
    )
    assert (
        await error_of(olivia.admin_teams_create(team_domain="initech", team_name="Again"))
        == "domain_taken"
    )
    assert (
        await error_of(olivia.admin_teams_create(team_domain="Not A Domain!", team_name="Bad"))
        == "invalid_domain"
    )
    assert [t["id"] for t in (await olivia.admin_teams_list())["teams"]] == sorted(
        [initech.hq.id, labs]
    )


async def _general(client: ValidatingAsyncWebClient) -> str:
    listed = (await client.conversations_list())["channels"]
    return next(channel["id"] for channel in listed if channel["is_general"])


async def test_a_browser_session_switches_to_another_seat_only(
    server: str, initech: Initech, acme: Acme, olivia: ValidatingAsyncWebClient
) -> None:
    peter = initech.peter.user.id
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter)
    async with httpx.AsyncClient(base_url=server) as http:
        signed = (
            await http.post(
                "/auth/signin", json={"email": "peter@initech.test", "password": PASSWORD}
            )
        ).json()
        assert signed["team_id"] == initech.hq.id  # his first seat
        bearer = {"Authorization": f"Bearer {signed['token']}"}
        switched = (
            await http.post("/auth/switch", json={"workspace": "initech-labs"}, headers=bearer)
        ).json()
        assert (switched["team_id"], switched["user_id"]) == (initech.labs.id, peter)
        me = (
            await http.post(
                "/api/auth.test", headers={"Authorization": f"Bearer {switched['token']}"}
            )
        ).json()
        assert (me["team_id"], me["user_id"]) == (initech.labs.id, peter)
        # Only to a workspace he sits in, and only with the session's cookie.
        other = await http.post("/auth/switch", json={"workspace": "acme"}, headers=bearer)
        assert other.json()["error"] == "team_access_not_granted"
    async with httpx.AsyncClient(base_url=server) as no_cookie:
        stolen = await no_cookie.post(
            "/auth/switch", json={"workspace": "initech-labs"}, headers=bearer
        )
        assert stolen.json()["error"] == "invalid_auth"


async def test_only_a_browser_session_switches(
    server: str, initech: Initech, olivia: ValidatingAsyncWebClient
) -> None:
    """An API token is no browser session, whatever cookie comes with it: not even the
    cookie of a real session of the same person."""
    peter = initech.peter.user.id
    await olivia.admin_users_assign(team_id=initech.labs.id, user_id=peter)
    api_token = {"Authorization": f"Bearer {initech.peter.token}"}
    async with httpx.AsyncClient(base_url=server, cookies={"d": "made-up"}) as http:
        made_up = await http.post(
            "/auth/switch", json={"workspace": "initech-labs"}, headers=api_token
        )
    async with httpx.AsyncClient(base_url=server) as browser:
        signed = await browser.post(
            "/auth/signin", json={"email": "peter@initech.test", "password": PASSWORD}
        )
        assert signed.json()["ok"] is True and "d" in browser.cookies
        with_real_cookie = await browser.post(
            "/auth/switch", json={"workspace": "initech-labs"}, headers=api_token
        )
    assert made_up.json() == {"ok": False, "error": "not_allowed_token_type"}
    assert with_real_cookie.json() == {"ok": False, "error": "not_allowed_token_type"}
