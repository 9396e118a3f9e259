"""Uninstalling an app (installs.uninstall_app, which `admin uninstall-app`,
apps.manifest.delete and apps.uninstall all call): its bot is deactivated and the app is
told, in its workspace's log, as Slack tells it (docs/apps.md, Uninstalling)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.apps.subscriptions import ALWAYS
from backchannel.services.realtime import events
from backchannel.services.realtime.viewer import concerns
from backchannel.services.tenancy.assignments import workspace_log
from tests.apps.conftest import (
    HELLO_MANIFEST,
    WAIT,
    HttpApp,
    StartBolt,
    received,
    replies_by,
    with_bot,
)
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient

OTHER_MANIFEST = HELLO_MANIFEST.replace("Hello Bolt", "Other").replace("hellobolt", "other")


async def test_an_uninstall_tells_the_app_in_its_workspaces_log(
    ctx: ServiceContext, acme: Acme, hello_app: installs.Installed
) -> None:
    other = await installs.create_app(ctx, workspace="acme", manifest=OTHER_MANIFEST)
    head = await events.stream_head(ctx, await workspace_log(ctx, acme.workspace.id))
    await installs.uninstall_app(ctx, hello_app.app.id)
    logged = await events.read_stream(ctx, head, limit=100, workspace_id=acme.workspace.id)
    bot_user = hello_app.app.bot_user_id
    assert [(event.type, event.scope, event.user_id) for event in logged] == [
        ("user_change", "workspace", None),
        ("tokens_revoked", "user", bot_user),
        ("app_uninstalled", "user", bot_user),
        ("revocation", "user", bot_user),  # the edges close its sockets
    ]
    deactivated, revoked, uninstalled, _ = (event.payload for event in logged)
    assert (deactivated["user"]["id"], deactivated["user"]["deleted"]) == (bot_user, True)
    at = revoked["event_ts"]
    assert revoked == {"type": "tokens_revoked", "tokens": {"bot": [bot_user]}, "event_ts": at}
    assert uninstalled == {"type": "app_uninstalled", "event_ts": at}
    # Only the app's bot sees them: not people, not another app's bot.
    for event in logged[1:3]:
        assert concerns(event, bot_user, set())
        assert not concerns(event, acme.alice.user.id, set())
        assert not concerns(event, other.app.bot_user_id, set())
    # The other app is still installed, its bot active.
    assert [app.id for app in await installs.installed_apps(ctx)] == [other.app.id]


async def uninstall_reaches(record: Path) -> list[str]:
    """The Slack events about itself a Bolt app got, once app_uninstalled is among them."""
    async with asyncio.timeout(WAIT):
        while True:
            # Bolt answers 404 to events it has no listener for: Slack's retries follow.
            firsts = [r for r in received(record) if r["retry"] in (None, 0, "0")]
            told = [r["type"] for r in firsts if r["type"] in ALWAYS]
            if "app_uninstalled" in told:
                return told
            await asyncio.sleep(0.1)


async def test_an_app_over_socket_mode_is_told_it_was_uninstalled(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    start_bolt: StartBolt,
    edge_url: str,
    tmp_path: Path,
) -> None:
    record = tmp_path / "received.jsonl"
    channel_id = await with_bot(ctx, acme, hello_app)
    await start_bolt("hello.py", hello_app, record=record)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello")
    await replies_by(alice, channel_id, posted["ts"], hello_app.app.bot_user_id)
    await installs.uninstall_app(ctx, hello_app.app.id)
    assert await uninstall_reaches(record) == ["tokens_revoked", "app_uninstalled"]


async def test_an_app_over_http_is_told_it_was_uninstalled(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    start_bolt: StartBolt,
    edge_url: str,
    tmp_path: Path,
) -> None:
    app, record = http_app.installed, tmp_path / "received.jsonl"
    channel_id = await with_bot(ctx, acme, app)
    await start_bolt("hello.py", app, port=http_app.port, record=record)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello")
    await replies_by(alice, channel_id, posted["ts"], app.app.bot_user_id)
    await installs.uninstall_app(ctx, app.app.id)
    assert await uninstall_reaches(record) == ["tokens_revoked", "app_uninstalled"]
