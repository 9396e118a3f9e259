"""Slack's manifest API (apps.manifest.*), apps.uninstall and bots.info through a live
server with Slack's SDK, as an admin's script would call them (docs/apps.md)."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import orjson
import yaml
from websockets.asyncio.client import connect

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.apps.envelopes import verification_token
from backchannel.services.apps.manifest import MAX_MANIFEST_BYTES
from backchannel.services.identity import auth
from backchannel.services.people import users
from tests.apps.conftest import HELLO_MANIFEST
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex, answer, client_for, error_of

MANIFEST: dict[str, Any] = yaml.safe_load(HELLO_MANIFEST)
WAIT = 10.0


def changed(**sections: Any) -> dict[str, Any]:
    """MANIFEST with these sections' fields replaced."""
    manifest = copy.deepcopy(MANIFEST)
    for section, fields in sections.items():
        manifest.setdefault(section, {}).update(fields)
    return manifest


async def reply_of(client: ValidatingAsyncWebClient, method: str, **args: Any) -> dict[str, Any]:
    """A method's whole reply, ok or not, its arguments in a form body (a manifest may be
    longer than a URL may)."""
    return await answer(client, method, args, in_body=True)


async def created(alice: ValidatingAsyncWebClient, manifest: Any = None) -> dict[str, Any]:
    made = (await alice.apps_manifest_create(manifest=manifest or MANIFEST)).data
    assert isinstance(made, dict)
    return made


async def bot_users(alice: ValidatingAsyncWebClient) -> list[str]:
    members = (await alice.users_list())["members"]
    return sorted(member["id"] for member in members if member["is_bot"])


async def test_validate_answers_ok_for_a_valid_manifest(alice: ValidatingAsyncWebClient) -> None:
    assert (await alice.apps_manifest_validate(manifest=MANIFEST)).data == {
        "ok": True,
        "errors": [],
    }
    assert (await alice.apps_manifest_validate(manifest=HELLO_MANIFEST)).data["ok"] is True


async def test_validate_lists_every_problem_as_slack_does(
    alice: ValidatingAsyncWebClient,
) -> None:
    manifest = changed(settings={"socket_mode_enabled": False, "bogus": 1})
    manifest["oauth_config"]["scopes"]["bot"].remove("reactions:read")
    events_at = "/settings/event_subscriptions"
    problems = [
        ("Unknown field: bogus", "/settings/bogus"),
        ("Event reaction_added requires the bot scope reactions:read", f"{events_at}/bot_events/4"),
        ("Event subscription requires either Request URL or Socket Mode Enabled", events_at),
    ]
    assert await reply_of(alice, "apps.manifest.validate", manifest=json.dumps(manifest)) == {
        "ok": False,
        "error": "invalid_manifest",
        "errors": [{"message": message, "pointer": pointer} for message, pointer in problems],
        "response_metadata": {
            "messages": [f"[ERROR] {message} ({pointer})" for message, pointer in problems]
        },
    }


async def test_create_installs_the_app_in_the_callers_workspace(
    ctx: ServiceContext,
    acme: Acme,
    server: str,
    edge_url: str,
    alice: ValidatingAsyncWebClient,
) -> None:
    made = await created(alice)
    assert set(made) == {
        "ok",
        "app_id",
        "credentials",
        "oauth_authorize_url",
        "team_id",
        "team_domain",
        "app_token",
        "bot_token",
        "bot_user_id",
        "bot_id",
    }
    app = await installs.get_app(ctx, made["app_id"])
    assert made["credentials"] == {
        "client_id": app.client_id,
        "client_secret": made["credentials"]["client_secret"],
        "verification_token": verification_token(app),
        "signing_secret": app.signing_secret,
    }
    scopes = ",".join(sorted(MANIFEST["oauth_config"]["scopes"]["bot"]))
    assert made["oauth_authorize_url"] == (
        f"{server}/oauth/v2/authorize?client_id={app.client_id}&scope={scopes}"
    )
    assert (made["team_id"], made["team_domain"]) == (acme.workspace.id, "acme")
    assert (app.workspace_id, app.installed_by) == (acme.workspace.id, acme.alice.user.id)
    # The bot token speaks for the app's bot, with the manifest's scopes.
    bot = client_for(server, made["bot_token"])
    who = await bot.auth_test()
    assert (who["user_id"], who["bot_id"]) == (made["bot_user_id"], made["bot_id"])
    granted = await auth.authenticate(ctx, made["bot_token"])
    assert granted.scopes == frozenset(MANIFEST["oauth_config"]["scopes"]["bot"])
    # The app-level token opens Socket Mode connections.
    opened = await alice.apps_connections_open(app_token=made["app_token"])
    assert opened["url"].startswith(f"{edge_url}/link/?")
    exported = await alice.apps_manifest_export(app_id=made["app_id"])
    assert exported.data == {"ok": True, "manifest": MANIFEST}
    # A copy of the app (as Slack's docs suggest for a development clone) is another app,
    # whose bot user's handle takes a counter.
    copied = await created(alice)
    assert copied["app_id"] != made["app_id"]
    handles = [
        (await alice.users_info(user=found["bot_user_id"]))["user"]["name"]
        for found in (made, copied)
    ]
    assert handles == ["hellobolt", "hellobolt-2"]


async def test_a_refused_manifest_makes_nothing(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient
) -> None:
    no_transport = changed(settings={"socket_mode_enabled": False})
    no_scope = copy.deepcopy(MANIFEST)
    no_scope["oauth_config"]["scopes"]["bot"].remove("app_mentions:read")
    unknown_scope = copy.deepcopy(MANIFEST)
    unknown_scope["oauth_config"]["scopes"]["bot"].append("chat:shout")
    refused = {
        "unknown field": (json.dumps(changed(features={"bogus": 1})), "/features/bogus"),
        "unknown scope": (json.dumps(unknown_scope), "/oauth_config/scopes/bot/7"),
        "event without its scope": (
            json.dumps(no_scope),
            "/settings/event_subscriptions/bot_events/3",
        ),
        "no transport": (json.dumps(no_transport), "/settings/event_subscriptions"),
        "does not parse": ('{"display_information": {"name": "x"', "/"),
        "over the limit": (json.dumps(MANIFEST) + " " * MAX_MANIFEST_BYTES, "/"),
        "not an object": ("[1, 2]", "/"),
        "yaml aliases": ("a: &a [1]\nb: *a", "/"),
    }
    bots_before = await bot_users(alice)
    for case, (text, pointer) in refused.items():
        reply = await reply_of(alice, "apps.manifest.create", manifest=text)
        assert (reply["ok"], reply["error"]) == (False, "invalid_manifest"), case
        assert [problem["pointer"] for problem in reply["errors"]] == [pointer], case
    assert await installs.installed_apps(ctx) == []
    assert await bot_users(alice) == bots_before
    missing = await reply_of(alice, "apps.manifest.create")
    assert missing["error"] == "invalid_arguments"


async def test_update_replaces_the_manifest_and_the_bots_scopes(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient
) -> None:
    made = await created(alice)
    renamed = changed(display_information={"name": "Hello Again"})
    reply = await alice.apps_manifest_update(app_id=made["app_id"], manifest=renamed)
    assert reply.data == {"ok": True, "app_id": made["app_id"], "permissions_updated": False}
    wider = copy.deepcopy(renamed)
    wider["oauth_config"]["scopes"]["bot"].append("reactions:write")
    reply = await alice.apps_manifest_update(app_id=made["app_id"], manifest=wider)
    assert reply.data["permissions_updated"] is True
    granted = await auth.authenticate(ctx, made["bot_token"])
    assert granted.scopes == frozenset(wider["oauth_config"]["scopes"]["bot"])
    # A refused update changes nothing.
    broken = changed(settings={"socket_mode_enabled": False})
    body = await reply_of(
        alice, "apps.manifest.update", app_id=made["app_id"], manifest=json.dumps(broken)
    )
    assert body["errors"] == [
        {
            "message": "Event subscription requires either Request URL or Socket Mode Enabled",
            "pointer": "/settings/event_subscriptions",
        }
    ]
    exported = await alice.apps_manifest_export(app_id=made["app_id"])
    assert exported["manifest"] == wider
    assert (await installs.get_app(ctx, made["app_id"])).name == "Hello Again"


async def test_delete_uninstalls_the_app(server: str, alice: ValidatingAsyncWebClient) -> None:
    made = await created(alice)
    assert (await alice.apps_manifest_delete(app_id=made["app_id"])).data == {"ok": True}
    bot = client_for(server, made["bot_token"])
    assert await error_of(bot.auth_test()) in {"token_revoked", "invalid_auth"}
    assert await error_of(alice.apps_manifest_export(app_id=made["app_id"])) == "app_not_found"
    assert await error_of(alice.apps_manifest_delete(app_id=made["app_id"])) == "app_not_found"
    # Its bot stays, deactivated, as Slack keeps it.
    info = await alice.bots_info(bot=made["bot_id"])
    assert (info["bot"]["deleted"], info["bot"]["app_id"]) == (True, made["app_id"])
    assert (await alice.users_info(user=made["bot_user_id"]))["user"]["deleted"] is True


def app_calls(app_id: str) -> dict[str, dict[str, Any]]:
    """Every manifest method, naming the app."""
    manifest = json.dumps(MANIFEST)
    return {
        "apps.manifest.validate": {"manifest": manifest, "app_id": app_id},
        "apps.manifest.update": {"manifest": manifest, "app_id": app_id},
        "apps.manifest.export": {"app_id": app_id},
        "apps.manifest.delete": {"app_id": app_id},
    }


async def test_only_an_admin_of_the_apps_workspace_may_manage_it(
    ctx: ServiceContext,
    server: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    globex: Globex,
) -> None:
    made = await created(alice)
    gina = await users.create_user(
        ctx, workspace="globex", email="gina@globex.test", name="Gina", admin=True
    )
    rival = client_for(server, gina.token)
    bot = client_for(server, made["bot_token"])
    calls = {**app_calls(made["app_id"]), "apps.manifest.create": {"manifest": "{}"}}
    for method, args in calls.items():
        assert (await reply_of(bob, method, **args))["error"] == "no_permission", method
        assert (await reply_of(bot, method, **args))["error"] == "not_allowed_token_type", method
    for method, args in app_calls(made["app_id"]).items():
        wanted = "invalid_app_id" if method == "apps.manifest.validate" else "app_not_found"
        assert (await reply_of(rival, method, **args))["error"] == wanted, method
    # A rival admin's app goes into the rival's workspace; acme's is untouched.
    theirs = await created(rival)
    assert theirs["team_id"] == globex.workspace.id
    assert (await alice.apps_manifest_export(app_id=made["app_id"]))["manifest"] == MANIFEST
    assert await error_of(alice.bots_info(bot=theirs["bot_id"])) == "bot_not_found"


async def test_bots_info_says_whose_bot_it_is(
    acme: Acme, server: str, alice: ValidatingAsyncWebClient
) -> None:
    made = await created(alice)
    info = (await alice.bots_info(bot=made["bot_id"])).data["bot"]
    icon = info["icons"]["image_48"]
    assert info == {
        "id": made["bot_id"],
        "deleted": False,
        "name": "hellobolt",
        "updated": info["updated"],
        "app_id": made["app_id"],
        "user_id": made["bot_user_id"],
        "icons": {"image_36": icon, "image_48": icon, "image_72": icon},
    }
    assert icon.startswith(f"{server}/") and isinstance(info["updated"], int)
    # The app's bot asks about itself with its own token, once granted users:read.
    bot = client_for(server, made["bot_token"])
    assert await error_of(bot.bots_info(bot=made["bot_id"])) == "missing_scope"
    wider = copy.deepcopy(MANIFEST)
    wider["oauth_config"]["scopes"]["bot"].append("users:read")
    await alice.apps_manifest_update(app_id=made["app_id"], manifest=wider)
    assert (await bot.bots_info(bot=made["bot_id"]))["bot"]["app_id"] == made["app_id"]
    assert await error_of(alice.bots_info(bot="B0000NOPE")) == "bot_not_found"
    assert await error_of(alice.bots_info()) == "missing_argument"


async def test_bots_info_of_a_bot_of_no_app(
    ctx: ServiceContext, acme: Acme, alice: ValidatingAsyncWebClient
) -> None:
    made = await users.create_bot(ctx, workspace="acme", name="Deploy Bot")
    info = (await alice.bots_info(bot=made.bot.id)).data["bot"]
    assert "app_id" not in info
    assert (info["user_id"], info["name"]) == (made.user.id, "Deploy Bot")


async def test_an_app_uninstalls_itself(
    server: str, edge_url: str, alice: ValidatingAsyncWebClient
) -> None:
    made = await created(alice)
    other = await created(alice, changed(display_information={"name": "Other"}))
    bot = client_for(server, made["bot_token"])
    credentials = made["credentials"]
    client_id, secret = credentials["client_id"], credentials["client_secret"]
    assert await error_of(bot.apps_uninstall(client_id="1.2", client_secret=secret)) == (
        "invalid_client_id"
    )
    assert await error_of(bot.apps_uninstall(client_id=client_id, client_secret="guess")) == (
        "bad_client_secret"
    )
    for stranger in (alice, client_for(server, other["bot_token"])):
        refused = stranger.apps_uninstall(client_id=client_id, client_secret=secret)
        assert await error_of(refused) == "client_id_token_mismatch"
    # A Socket Mode connection of the app's, open when it goes.
    url = (await bot.apps_connections_open(app_token=made["app_token"]))["url"]
    async with connect(url) as socket:
        hello = orjson.loads(await socket.recv())
        assert hello["type"] == "hello"
        reply = await bot.apps_uninstall(client_id=client_id, client_secret=secret)
        assert reply.data == {"ok": True}
        async with asyncio.timeout(WAIT):
            await socket.wait_closed()
    assert await error_of(bot.auth_test()) in {"token_revoked", "invalid_auth"}
    assert await error_of(alice.apps_manifest_export(app_id=made["app_id"])) == "app_not_found"
    assert (await alice.apps_manifest_export(app_id=other["app_id"]))["ok"] is True
    # What the app is told in the log: tests/apps/test_uninstall.py.
