"""Incoming webhooks: Slack's JSON POSTed to a secret URL, over a real socket."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.errors import NotFound
from backchannel.models import Channel
from backchannel.router import Main
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.messaging import webhooks
from backchannel.storage.schema import webhooks as webhooks_table
from tests.conftest import Acme
from tests.support.cli import run_cli
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.server import live_server
from tests.webapp.conftest import Globex


@pytest.fixture
async def alerts(ctx: ServiceContext, acme: Acme) -> Channel:
    return await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="alerts"
    )


@pytest.fixture
async def hook(ctx: ServiceContext, acme: Acme, alerts: Channel) -> webhooks.NewWebhook:
    return await webhooks.create_webhook(ctx, workspace="acme", channel="#alerts")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _url(server: str, hook: webhooks.NewWebhook) -> str:
    return hook.url(server)


async def _latest(alice: ValidatingAsyncWebClient, channel: Channel) -> dict[str, Any]:
    reply = await alice.conversations_history(channel=channel.id, limit=1)
    return dict(reply["messages"][0])


async def test_a_posted_payload_becomes_the_webhooks_bot_message(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*build 42* passed"}}]
    payload = {"text": "build 42 passed", "blocks": blocks, "attachments": [{"fallback": "log"}]}
    reply = await http.post(_url(server, hook), json=payload)
    assert (reply.status_code, reply.text) == (200, "ok")
    message = await _latest(alice, alerts)
    assert message["text"] == "build 42 passed"
    assert (message["subtype"], message["bot_id"]) == ("bot_message", hook.webhook.id)
    assert message["blocks"] == blocks
    assert message["attachments"][0]["fallback"] == "log"
    [found] = (await alice.search_messages(query="build passed"))["messages"]["matches"]
    assert (found["bot_id"], found["username"]) == (hook.webhook.id, "incoming-webhook")


async def test_a_payload_may_name_the_bot_and_pick_its_icon(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    payload = {"text": "@here #alerts is red", "username": "CI", "icon_emoji": ":fire:"}
    reply = await http.post(_url(server, hook), json={**payload, "link_names": 1})
    assert (reply.status_code, reply.text) == (200, "ok")
    message = await _latest(alice, alerts)
    assert (message["username"], message["icons"]) == ("CI", {"emoji": ":fire:"})
    assert message["text"] == f"<!here> <#{alerts.id}|alerts> is red"
    pictured = {"text": "green", "icon_url": "https://ci.example/ci.png"}
    assert (await http.post(_url(server, hook), json=pictured)).text == "ok"
    assert (await _latest(alice, alerts))["icons"] == {"image_48": "https://ci.example/ci.png"}
    bad = await http.post(_url(server, hook), json={"text": "x", "icon_url": "file:///etc"})
    assert (bad.status_code, bad.text) == (400, "invalid_payload")


async def test_a_form_payload_and_unlabelled_json_are_accepted(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    form = await http.post(_url(server, hook), data={"payload": json.dumps({"text": "from form"})})
    assert (form.status_code, form.text) == (200, "ok")
    assert (await _latest(alice, alerts))["text"] == "from form"
    # curl -d '{"text": ...}' labels JSON as a form; Slack takes it all the same.
    curl = await http.post(
        _url(server, hook),
        content=b'{"text": "from curl"}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (curl.status_code, curl.text) == (200, "ok")
    assert (await _latest(alice, alerts))["text"] == "from curl"


async def test_thread_ts_replies_in_a_thread(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    root = await alice.chat_postMessage(channel=alerts.id, text="deploy starting")
    reply = await http.post(
        _url(server, hook), json={"text": "deploy done", "thread_ts": root["ts"]}
    )
    assert reply.text == "ok"
    thread = await alice.conversations_replies(channel=alerts.id, ts=root["ts"])
    assert [m["text"] for m in thread["messages"]] == ["deploy starting", "deploy done"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "invalid_payload"),
        (b"[1, 2]", 400, "invalid_payload"),
        (b'{"text": 5}', 400, "invalid_payload"),
        (b'{"text": "x", "blocks": "nope"}', 400, "invalid_payload"),
        (b'{"text": "x", "thread_ts": "yesterday"}', 400, "invalid_payload"),
        (b"{}", 400, "no_text"),
        (b'{"text": "   "}', 400, "no_text"),
    ],
)
async def test_bad_payloads_get_slacks_plain_text_errors(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    body: bytes,
    status: int,
    error: str,
) -> None:
    reply = await http.post(
        _url(server, hook), content=body, headers={"content-type": "application/json"}
    )
    assert (reply.status_code, reply.text) == (status, error)
    assert reply.headers["content-type"].startswith("text/plain")


async def test_a_wrong_secret_or_unknown_webhook_is_refused(
    server: str, http: httpx.AsyncClient, hook: webhooks.NewWebhook
) -> None:
    # A last character the secret does not have ("x" on a secret ending in "x" was no change).
    last = "y" if hook.secret.endswith("x") else "x"
    wrong = webhooks.webhook_url(server, hook.webhook.id, hook.secret[:-1] + last)
    unknown = webhooks.webhook_url(server, "B00001ZZZZZ", hook.secret)
    garbage = webhooks.webhook_url(server, "not-an-id", hook.secret)
    text = {"text": "hi"}
    assert ((r := await http.post(wrong, json=text)).status_code, r.text) == (403, "invalid_token")
    assert ((r := await http.post(unknown, json=text)).status_code, r.text) == (404, "no_service")
    assert ((r := await http.post(garbage, json=text)).status_code, r.text) == (404, "no_service")


async def test_a_revoked_webhook_posts_nothing(
    ctx: ServiceContext,
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    await webhooks.revoke_webhook(ctx, webhook_id=hook.webhook.id)
    reply = await http.post(_url(server, hook), json={"text": "too late"})
    assert (reply.status_code, reply.text) == (403, "invalid_token")
    assert (await alice.conversations_history(channel=alerts.id))["messages"] == []


async def test_an_archived_channel_is_gone_and_a_kicked_bot_finds_no_channel(
    server: str,
    http: httpx.AsyncClient,
    hook: webhooks.NewWebhook,
    alerts: Channel,
    alice: ValidatingAsyncWebClient,
) -> None:
    await alice.conversations_kick(channel=alerts.id, user=hook.webhook.bot_user_id)
    kicked = await http.post(_url(server, hook), json={"text": "hello?"})
    assert (kicked.status_code, kicked.text) == (404, "channel_not_found")
    await alice.conversations_archive(channel=alerts.id)
    archived = await http.post(_url(server, hook), json={"text": "hello?"})
    assert (archived.status_code, archived.text) == (410, "channel_is_archived")


async def test_only_a_hash_of_the_secret_is_stored(
    ctx: ServiceContext, hook: webhooks.NewWebhook
) -> None:
    async with ctx.router.read(Main()) as conn:
        row = (await conn.execute(select(webhooks_table))).one()
    assert row.token_hash == hashlib.sha256(hook.secret.encode()).hexdigest()
    assert hook.secret not in repr(tuple(row))


async def test_a_webhook_is_made_only_for_a_channel_of_its_workspace(
    ctx: ServiceContext, acme: Acme, globex: Globex
) -> None:
    foreign = await channels.create_channel(
        ctx, workspace_id=globex.workspace.id, creator=globex.eve.user.id, name="secret"
    )
    for channel in (foreign.id, "#secret", "#nowhere"):
        with pytest.raises(NotFound) as refused:
            await webhooks.create_webhook(ctx, workspace="acme", channel=channel)
        assert refused.value.slack_error == "channel_not_found"


async def test_many_webhooks_may_share_a_name(
    ctx: ServiceContext, alerts: Channel, alice: ValidatingAsyncWebClient
) -> None:
    made = [await webhooks.create_webhook(ctx, workspace="acme", channel=alerts.id) for _ in "ab"]
    assert made[0].webhook.id != made[1].webhook.id and made[0].secret != made[1].secret
    # Their bots' handles may not: the second is the first free name-2, cut to 80.
    long_name = "x" * 80
    for _ in "ab":
        made.append(
            await webhooks.create_webhook(ctx, workspace="acme", channel=alerts.id, name=long_name)
        )
    bots = [(await alice.users_info(user=m.webhook.bot_user_id))["user"] for m in made]
    handles = [bot["name"] for bot in bots]
    assert handles == ["incoming-webhook", "incoming-webhook-2", "x" * 80, "x" * 78 + "-2"]


@pytest.mark.slow  # CLI processes and a server process
async def test_the_admin_command_prints_a_url_that_posts(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    data = ["--data-dir", str(directory), "--shards", "2"]
    made = run_cli("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *data)
    assert made.returncode == 0, made.stderr
    human = run_cli(
        "admin", "create-webhook", "--workspace", "acme", "--channel", "#general", *data
    )
    assert human.returncode == 0, human.stderr
    assert "url: http://127.0.0.1:8000/services/hooks/B" in human.stdout

    # With the server running: the command goes to the databases, the URL to the server.
    backchannel = await open_backchannel(Settings(storage=StorageSettings(data_dir=directory)))
    try:
        async with live_server(backchannel) as url, httpx.AsyncClient() as http:
            result = run_cli(
                "admin", "create-webhook", "--workspace", "acme", "--channel", "#general",
                "--url", url, "--json", *data,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            printed = json.loads(result.stdout)
            assert printed["url"].startswith(f"{url}/services/hooks/{printed['id']}/")
            assert printed["channel"].startswith("C")
            reply = await http.post(printed["url"], json={"text": "hello from CI"})
            assert (reply.status_code, reply.text) == (200, "ok")
            revoked = run_cli("admin", "revoke-webhook", "--id", printed["id"], *data)
            assert revoked.stdout == f"revoked webhook {printed['id']}\n", revoked.stderr
            reply = await http.post(printed["url"], json={"text": "hello again"})
            assert (reply.status_code, reply.text) == (403, "invalid_token")
    finally:
        await backchannel.close()
