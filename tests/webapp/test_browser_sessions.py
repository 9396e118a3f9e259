"""The web client's page and its sessions: an xoxc token that works only with its cookie."""

from __future__ import annotations

import httpx
import pytest

from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.people import users
from backchannel.services.realtime import edges
from backchannel.services.tenancy import workspaces
from tests.conftest import ALICE_PASSWORD, Acme

ALICE = {"workspace": "acme", "email": "alice@acme.test", "password": ALICE_PASSWORD}
pytestmark = pytest.mark.usefixtures("alice_password")


async def sign_in(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    return await http.post("/auth/signin", json=fields)


async def auth_test(http: httpx.AsyncClient, token: str) -> dict[str, object]:
    reply = await http.post("/api/auth.test", headers={"Authorization": f"Bearer {token}"})
    return dict(reply.json())


async def test_the_page_is_served_with_a_strict_content_policy(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        page = await http.get("/")
        style = await http.get("/client/style.css")
        missing = await http.get("/client/nothing-here.js")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script type="module" src="/client/js/main.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert style.status_code == 200 and style.headers["x-content-type-options"] == "nosniff"
    assert missing.status_code == 404


async def test_signing_in_gives_a_token_that_needs_its_cookie(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        reply = await sign_in(http, **ALICE)
        body = reply.json()
        assert body["ok"] is True and body["token"].startswith("xoxc-")
        assert (body["user_id"], body["team_id"]) == (acme.alice.user.id, acme.workspace.id)
        cookie = reply.headers["set-cookie"]
        assert cookie.startswith("d=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert (await auth_test(http, body["token"]))["user_id"] == acme.alice.user.id
    async with httpx.AsyncClient(base_url=server) as without_cookie:
        assert (await auth_test(without_cookie, body["token"]))["error"] == "invalid_auth"
    async with httpx.AsyncClient(base_url=server) as other_session:
        await sign_in(other_session, **ALICE)  # her second browser: its own cookie
        assert (await auth_test(other_session, body["token"]))["error"] == "invalid_auth"


async def test_no_workspace_is_needed_when_the_email_has_one_account(
    server: str, acme: Acme
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        reply = await sign_in(http, email="alice@acme.test", password=ALICE_PASSWORD)
    assert reply.json()["team_id"] == acme.workspace.id


async def test_an_email_in_two_workspaces_must_name_one(
    server: str, ctx: ServiceContext, acme: Acme
) -> None:
    other = await workspaces.create_workspace(ctx, name="Other", domain="other")
    await users.create_user(
        ctx, workspace="other", email="alice@acme.test", name="Alice", password=ALICE_PASSWORD
    )
    async with httpx.AsyncClient(base_url=server) as http:
        unnamed = await sign_in(http, email="alice@acme.test", password=ALICE_PASSWORD)
        named = await sign_in(
            http, workspace="other", email="alice@acme.test", password=ALICE_PASSWORD
        )
    assert unnamed.json()["error"] == "workspace_required"
    assert named.json()["team_id"] == other.id


@pytest.mark.parametrize(
    "fields",
    [
        {**ALICE, "password": "not-her-pass"},
        {**ALICE, "email": "nobody@acme.test"},
        {"email": "bob@acme.test", "password": "anything-at-all"},  # bob has no password
    ],
)
async def test_wrong_credentials_get_one_error(
    server: str, acme: Acme, fields: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        reply = await sign_in(http, **fields)
    assert reply.json() == {"ok": False, "error": "invalid_credentials"}
    assert "set-cookie" not in reply.headers


async def test_bad_sign_in_requests_get_slack_errors(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        empty = await sign_in(http)
        no_team = await sign_in(http, workspace="nowhere", email="a@b.test", password="x" * 8)
        cross_site = await http.post(
            "/auth/signin", json=ALICE, headers={"Origin": "https://evil.example"}
        )
        not_json = await http.post(
            "/auth/signin", content=b"{", headers={"Content-Type": "application/json"}
        )
    assert empty.json()["error"] == "invalid_arguments"
    assert no_team.json()["error"] == "team_not_found"
    assert cross_site.json()["error"] == "invalid_origin"
    assert not_json.json()["error"] == "invalid_json"


async def test_signing_out_revokes_the_token_and_drops_the_cookie(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        token = (await sign_in(http, **ALICE)).json()["token"]
        out = await http.post("/auth/signout", headers={"Authorization": f"Bearer {token}"})
        assert out.json() == {"ok": True}
        assert 'd=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
        assert (await auth_test(http, token))["error"] in ("token_revoked", "invalid_auth")
        again = await http.post("/auth/signout", headers={"Authorization": f"Bearer {token}"})
    assert again.json()["ok"] is False


async def test_a_browser_session_opens_the_real_time_socket(
    server: str, ctx: ServiceContext, acme: Acme
) -> None:
    await edges.register_edge(ctx, None, "ws://127.0.0.1:9", heartbeat_seconds=2.0)
    async with httpx.AsyncClient(base_url=server) as http:
        token = (await sign_in(http, **ALICE)).json()["token"]
        reply = await http.post("/api/rtm.connect", headers={"Authorization": f"Bearer {token}"})
    body = reply.json()
    assert body["ok"] is True and "?ticket=" in body["url"]
    assert body["self"]["id"] == acme.alice.user.id


async def test_two_people_sign_in_in_one_browser_and_keep_their_sessions(
    server: str, ctx: ServiceContext, acme: Acme
) -> None:
    """One browser, one `d` cookie (as Slack's): a second person's sign-in joins it instead
    of replacing it, and signing one person out leaves the other signed in."""
    await auth.set_password(ctx, workspace="acme", email="bob@acme.test", password="bob-pass")
    async with httpx.AsyncClient(base_url=server) as browser:
        alice = (await sign_in(browser, **ALICE)).json()["token"]
        cookie = browser.cookies["d"]
        bob = (await sign_in(browser, email="bob@acme.test", password="bob-pass")).json()["token"]
        assert browser.cookies["d"] == cookie
        assert (await auth_test(browser, alice))["user_id"] == acme.alice.user.id
        assert (await auth_test(browser, bob))["user_id"] == acme.bob.user.id

        out = await browser.post("/auth/signout", headers={"Authorization": f"Bearer {bob}"})
        assert out.json() == {"ok": True} and "set-cookie" not in out.headers
        assert (await auth_test(browser, bob))["error"] == "token_revoked"
        assert (await auth_test(browser, alice))["user_id"] == acme.alice.user.id

        out = await browser.post("/auth/signout", headers={"Authorization": f"Bearer {alice}"})
        assert "Max-Age=0" in out.headers["set-cookie"]  # nobody is left on it


async def test_signing_out_signs_the_person_out_of_every_tab_of_the_browser(
    server: str, acme: Acme
) -> None:
    """Each tab has its own token; signing out ends all of the person's in this browser,
    and nobody else's."""
    async with httpx.AsyncClient(base_url=server) as browser:
        first = (await sign_in(browser, **ALICE)).json()["token"]
        second = (await sign_in(browser, **ALICE)).json()["token"]
        await browser.post("/auth/signout", headers={"Authorization": f"Bearer {first}"})
        assert (await auth_test(browser, second))["error"] == "token_revoked"
    async with httpx.AsyncClient(base_url=server) as elsewhere:
        other = (await sign_in(elsewhere, **ALICE)).json()["token"]
        assert (await auth_test(elsewhere, other))["user_id"] == acme.alice.user.id


async def test_a_signed_out_tab_does_not_drop_the_cookie_of_the_others(
    server: str, ctx: ServiceContext, acme: Acme
) -> None:
    await auth.set_password(ctx, workspace="acme", email="bob@acme.test", password="bob-pass")
    async with httpx.AsyncClient(base_url=server) as browser:
        alice = (await sign_in(browser, **ALICE)).json()["token"]
        bob = (await sign_in(browser, email="bob@acme.test", password="bob-pass")).json()["token"]
        await auth.revoke(ctx, bob)  # his tab's token is gone already (revoked elsewhere)
        late = await browser.post("/auth/signout", headers={"Authorization": f"Bearer {bob}"})
        assert late.json()["ok"] is False and "set-cookie" not in late.headers
        assert (await auth_test(browser, alice))["user_id"] == acme.alice.user.id


async def test_an_api_token_does_not_sign_a_browser_out(server: str, acme: Acme) -> None:
    async with httpx.AsyncClient(base_url=server) as browser:
        alice = (await sign_in(browser, **ALICE)).json()["token"]
        api_token = {"Authorization": f"Bearer {acme.alice.token}"}
        refused = await browser.post("/auth/signout", headers=api_token)
        assert refused.json() == {"ok": False, "error": "not_allowed_token_type"}
        assert (await auth_test(browser, alice))["user_id"] == acme.alice.user.id
        assert (await auth_test(browser, acme.alice.token))["user_id"] == acme.alice.user.id
