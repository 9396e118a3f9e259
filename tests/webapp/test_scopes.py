"""Scopes (docs/webapp.md#scopes): a token issued to an app calls only the methods its
granted scopes open, and is told what it lacks as Slack tells it (`missing_scope`, with
`needed` and `provided`); every reply says which scopes the token holds and which the
method accepts. A person's own token keeps every right it had.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.identity.auth import issue_token
from backchannel.services.people import users
from backchannel.webapp import scopes
from backchannel.webapp.registry import METHODS
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import client_for, post

APP_ID = "A0SCOPES01"
HISTORY = {"channels:history", "groups:history", "im:history", "mpim:history"}
# The methods Slack answers without a scope (api.test takes no token at all).
# apps.uninstall: an app uninstalls itself with its client id and secret, no scope needed.
SCOPE_FREE = {"auth.test", "auth.revoke", "auth.teams.list", "chat.getPermalink", "apps.uninstall"}
# The methods whose scopes no app's bot is granted (user tokens only), and the reverse.
USER_ONLY = {
    *(name for name in METHODS if name.startswith("admin.")),
    # app_configurations:* (Slack's configuration tokens; here an admin's own token).
    *(name for name in METHODS if name.startswith("apps.manifest.")),
    "search.messages",
    "users.profile.set",
    "users.setPhoto",
    "users.deletePhoto",
    "rtm.connect",
    "rtm.start",
    "client.counts",
}
BOT_ONLY = {
    "conversations.inviteShared",
    "conversations.acceptSharedInvite",
    "conversations.declineSharedInvite",
    "conversations.listConnectInvites",
}
# Only an app-level token (xapp) calls these; every other token is not_allowed_token_type.
APP_LEVEL_ONLY = {"apps.connections.open"}

Issue = Callable[..., Awaitable[ValidatingAsyncWebClient]]


@pytest.fixture
async def app_token(ctx: ServiceContext, server: str, acme: Acme) -> Issue:
    """issue(*scopes, kind="bot"): a client holding a token issued to an app of acme with
    those scopes: its bot's (kind "bot"), its installer alice's ("user") or app-level
    ("app")."""
    bot = await users.create_bot(ctx, workspace="acme", name="Helper")

    async def issue(*granted: str, kind: str = "bot") -> ValidatingAsyncWebClient:
        user_id = acme.alice.user.id if kind == "user" else bot.user.id
        info = TokenInfo(user_id, acme.workspace.id, kind, scopes=frozenset(granted), app_id=APP_ID)
        return client_for(server, await issue_token(ctx, info))

    return issue


@pytest.fixture
async def bot_in_dev(ctx: ServiceContext, app_token: Issue, acme: Acme, dev: str) -> str:
    """#dev, with the app's bot in it (as if invited)."""
    helper = await app_token(kind="bot")
    bot_user = (await helper.auth_test())["user_id"]
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=bot_user, channel_id=dev
    )
    return dev


async def refusal(call: Awaitable[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a refused call."""
    with pytest.raises(SlackApiError) as failed:
        await call
    return failed.value.response.data, _lower(failed.value.response.headers)


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers).items()}


def scope_headers(reply: AsyncSlackResponse) -> tuple[str, str]:
    headers = _lower(reply.headers)
    return headers["x-oauth-scopes"], headers["x-accepted-oauth-scopes"]


async def test_a_bot_with_chat_write_posts_and_reads_nothing(
    app_token: Issue, bot_in_dev: str
) -> None:
    bot = await app_token("chat:write")
    await post(bot, bot_in_dev, "deploy done")
    body, _ = await refusal(bot.conversations_history(channel=bot_in_dev))
    assert body["error"] == "missing_scope"
    assert set(body["needed"].split(",")) == HISTORY
    assert body["provided"] == "chat:write"
    body, _ = await refusal(bot.users_list())
    assert (body["error"], body["needed"], body["provided"]) == (
        "missing_scope",
        "users:read",
        "chat:write",
    )


async def test_with_channels_history_it_reads(app_token: Issue, bot_in_dev: str) -> None:
    bot = await app_token("chat:write", "channels:history")
    ts = await post(bot, bot_in_dev, "deploy done")
    history = await bot.conversations_history(channel=bot_in_dev)
    assert [m["ts"] for m in history["messages"]][:1] == [ts]


async def test_a_bot_joins_with_the_granular_scope_slacks_page_names(
    app_token: Issue, dev: str
) -> None:
    """The spec names only channels:write for conversations.join; Slack's method page
    gives a bot channels:join."""
    bot = await app_token("channels:join")
    assert (await bot.conversations_join(channel=dev))["channel"]["id"] == dev


async def test_replies_say_what_the_token_holds_and_the_method_accepts(
    app_token: Issue, bot_in_dev: str
) -> None:
    bot = await app_token("chat:write", "users:read")
    posted = await bot.chat_postMessage(channel=bot_in_dev, text="hi")
    assert scope_headers(posted) == ("chat:write,users:read", "chat:write")
    assert scope_headers(await bot.auth_test()) == ("chat:write,users:read", "")
    _, headers = await refusal(bot.conversations_info(channel=bot_in_dev))
    assert headers["x-oauth-scopes"] == "chat:write,users:read"
    accepted = headers["x-accepted-oauth-scopes"].split(",")
    assert set(accepted) == {"channels:read", "groups:read", "im:read", "mpim:read"}


async def test_a_persons_token_keeps_its_rights_and_is_told_it_holds_them_all(
    ctx: ServiceContext, server: str, acme: Acme, dev: str
) -> None:
    alice = client_for(server, acme.alice.token)
    await post(alice, dev)
    history = await alice.conversations_history(channel=dev)
    held, accepted = scope_headers(history)
    assert set(accepted.split(",")) == HISTORY
    assert {"chat:write", "search:read", "users:read", *HISTORY} <= set(held.split(","))
    await alice.search_messages(query="hi")
    robot = await users.create_bot(ctx, workspace="acme", name="Robot")  # admin create-bot
    bot = client_for(server, robot.token)
    held, _ = scope_headers(await bot.users_list())
    assert "channels:join" in held.split(",") and "search:read" not in held.split(",")


async def test_an_app_level_token_calls_no_ordinary_method(app_token: Issue, dev: str) -> None:
    xapp = await app_token("connections:write", kind="app")
    calls = {"auth.test": {}, "users.list": {}, "chat.postMessage": {"channel": dev, "text": "x"}}
    for method, args in calls.items():
        body, headers = await refusal(xapp.api_call(method, params=args))
        assert body == {"ok": False, "error": "not_allowed_token_type"}
        assert headers["x-oauth-scopes"] == "connections:write"
    # Its own method, without its scope.
    unscoped = await app_token(kind="app")
    body, _ = await refusal(unscoped.api_call("apps.connections.open"))
    assert (body["error"], body["needed"], body["provided"]) == (
        "missing_scope",
        "connections:write",
        "",
    )


@pytest.mark.parametrize("kind", ["bot", "user"])
async def test_a_token_without_scopes_calls_only_the_scope_free_methods(
    app_token: Issue, kind: str, bot_in_dev: str
) -> None:
    """Every registered method, called with nothing but the token: refused before its
    arguments are read, unless it needs no scope."""
    client = await app_token(kind=kind)
    not_for_this_kind = APP_LEVEL_ONLY | (BOT_ONLY if kind == "user" else USER_ONLY)
    wrong: list[str] = []
    for name, method in sorted(METHODS.items()):
        if not method.needs_auth:
            continue
        args = {"test": "true"} if name == "auth.revoke" else {}
        try:
            reply: dict[str, Any] = (await client.api_call(name, params=args)).data  # type: ignore[assignment]
        except SlackApiError as refused:
            reply = refused.response.data
        error = reply.get("error")
        if name in SCOPE_FREE:
            expected = error not in ("missing_scope", "not_allowed_token_type")
        elif name in not_for_this_kind:
            expected = reply == {"ok": False, "error": "not_allowed_token_type"}
        else:
            needed = reply.get("needed", "").split(",")
            expected = error == "missing_scope" and reply["provided"] == "" and all(needed)
        if not expected:
            wrong.append(f"{name}: {reply}")
    assert wrong == []


async def test_rtm_is_closed_to_an_apps_bot_as_slack_closed_it(app_token: Issue) -> None:
    body, _ = await refusal((await app_token("chat:write")).rtm_connect())
    assert body["error"] == "not_allowed_token_type"
    body, _ = await refusal((await app_token("chat:write", kind="user")).rtm_connect())
    assert (body["needed"], body["provided"]) == ("rtm:stream", "chat:write")


def test_every_registered_method_has_its_scopes_in_the_table() -> None:
    assert scopes.unlisted(METHODS) == [], "add the method's scopes to webapp/scopes.py"
    # The check sees a method the table lacks.
    assert scopes.unlisted([*METHODS, "widgets.frob"]) == ["widgets.frob"]
