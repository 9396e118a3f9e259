"""Uninstalling an app (installs.uninstall_app, which `admin uninstall-app`,
apps.manifest.delete and apps.uninstall all call): its bot is deactivated and the app is
told, in its workspace's log, as Slack tells it (docs/apps.md, Uninstalling)."""

from __future__ import annotations

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.realtime import events
from backchannel.services.realtime.viewer import concerns
from backchannel.services.tenancy.assignments import workspace_log
from tests.apps.conftest import HELLO_MANIFEST
from tests.conftest import Acme

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
