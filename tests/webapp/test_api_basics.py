"""The Web API's conventions, through a real socket and Slack's own SDK."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient


@pytest.fixture
def api(server: str) -> str:
    return f"{server}/api/"


async def test_auth_test_names_the_caller(alice: ValidatingAsyncWebClient, acme: Acme) -> None:
    me = await alice.auth_test()
    assert me["team_id"] == acme.workspace.id and me["user_id"] == acme.alice.user.id
    assert (me["team"], me["user"]) == ("Acme", "alice")
    assert "bot_id" not in me.data


async def test_api_test_echoes_arguments_and_errors(api: str) -> None:
    client = ValidatingAsyncWebClient(base_url=api)
    assert (await client.api_test(foo="bar"))["args"] == {"foo": "bar"}
    with pytest.raises(SlackApiError) as failed:
        await client.api_test(error="my_error")
    assert failed.value.response["error"] == "my_error"


@pytest.mark.parametrize("token", [None, "xoxp-not-a-real-token"])
async def test_bad_tokens_get_slack_errors(api: str, token: str | None) -> None:
    client = ValidatingAsyncWebClient(token=token, base_url=api)
    with pytest.raises(SlackApiError) as refused:
        await client.auth_test()
    assert refused.value.response["error"] == ("not_authed" if token is None else "invalid_auth")


async def test_token_as_parameter_query_form_or_json(api: str, acme: Acme) -> None:
    token = acme.bob.token
    async with httpx.AsyncClient() as http:
        replies = [
            await http.get(f"{api}auth.test", params={"token": token}),
            await http.post(f"{api}auth.test", data={"token": token}),
            await http.post(f"{api}auth.test", json={"token": token}),
            await http.post(f"{api}auth.test", headers={"Authorization": f"Bearer {token}"}),
        ]
        for reply in replies:
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("application/json")
            assert reply.json()["user_id"] == acme.bob.user.id

        broken = await http.post(
            f"{api}api.test", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert broken.json()["error"] == "invalid_json"


async def test_unknown_methods_are_answered_as_slack_does(api: str, acme: Acme) -> None:
    """HTTP 200 (Slack's SDKs retry any other status but 429), whatever the verb, and before
    the token is looked at; any path under /api/ names a method."""
    bearer = {"Authorization": f"Bearer {acme.bob.token}"}
    async with httpx.AsyncClient() as http:
        for verb, path, headers in [
            ("GET", "no.such.method", bearer),
            ("POST", "channels.history", {}),
            ("POST", "no.such.method", {"Authorization": "Bearer xoxp-not-a-real-token"}),
            ("TRACE", "no.such.method", {}),
            ("GET", "", {}),
            ("POST", "chat/postMessage", bearer),
        ]:
            unknown = await http.request(verb, f"{api}{path}", headers=headers)
            assert unknown.status_code == 200, (verb, path)
            assert unknown.json() == {"ok": False, "error": "unknown_method", "req_method": path}
        assert (await http.post(f"{api}auth.test")).json()["error"] == "not_authed"


async def test_odd_requests_still_get_slack_json(api: str) -> None:
    async with httpx.AsyncClient() as http:
        traced = await http.request("TRACE", f"{api}api.test")
        assert traced.status_code == 405
        assert traced.headers["allow"] == "GET, HEAD, POST"
        assert traced.json() == {"ok": False, "error": "method_not_allowed"}
        for verb in ("QUERY", "PROPFIND"):  # verbs of other protocols: still Slack's JSON
            odd = await http.request(verb, f"{api}api.test")
            assert (odd.status_code, odd.json()["error"]) == (405, "method_not_allowed")
        no_boundary = await http.post(
            f"{api}api.test", content=b"a=1", headers={"content-type": "multipart/form-data"}
        )
        assert no_boundary.json()["error"] == "invalid_form_data"
        assert (await http.get(f"{api}api.test", params={"error": ""})).json() == {
            "ok": True,
            "args": {"error": ""},
        }
