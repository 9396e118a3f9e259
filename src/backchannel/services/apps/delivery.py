"""What an app is delivered, read from its workspace's event log after the app's durable
position (docs/apps.md, Delivery): a follower of the log like an RTM socket, seeing what its
bot user would see, whose position moves only when the app acknowledges.
"""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.models import App, Event, Position
from backchannel.router import Main
from backchannel.services.apps.envelopes import Subscriber
from backchannel.services.apps.installs import manifest_of
from backchannel.services.context import ServiceContext
from backchannel.services.realtime import events
from backchannel.services.realtime.viewer import Viewer
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.storage.main import apps as store

PAGE = 500  # events read from the log at a time


@dataclass
class Cursor:
    """Where an app's delivery stands: the log it reads, what its bot sees, and whether the
    log had already dropped some of what the app had not acknowledged (retention)."""

    stream: str
    epoch: str
    viewer: Viewer
    limited: bool
    sent: int  # the furthest event sent before (sent again, it is a retry)
    installer: Viewer | None = None  # what its installer sees (its user events)

    @property
    def position(self) -> Position:
        return Position(self.stream, self.epoch, self.viewer.seq)


def subscriber(app: App) -> Subscriber:
    manifest = manifest_of(app)
    return Subscriber.of(app, manifest.bot_events, manifest.user_events)


async def start(ctx: ServiceContext, app: App) -> Cursor:
    """Resume after the app's acknowledged position; an app never delivered to starts at
    the log's head (it hears what happens from now on)."""
    async with ctx.router.read(Main()) as conn:
        stored = await store.position_txn(conn, app.id)
    if stored is None:
        stream = await workspace_log(ctx, app.workspace_id)
        head = await events.stream_head(ctx, stream)
        await save(ctx, app.id, head)
        stored = store.Progress(head, head.seq)
    caught = await events.catch_up(ctx, app.workspace_id, app.bot_user_id, stored.position)
    viewer = Viewer(app.bot_user_id, set(caught.channels), caught.since.seq)
    sent = caught.since.seq if caught.limited else stored.sent
    cursor = Cursor(caught.since.stream, caught.since.epoch, viewer, caught.limited, sent)
    installer = subscriber(app).installer
    if installer is not None:  # seen from the same place in the log as the bot
        theirs = await events.catch_up(ctx, app.workspace_id, installer, caught.since)
        cursor.installer = Viewer(installer, set(theirs.channels), caught.since.seq)
    return cursor


async def next_page(ctx: ServiceContext, cursor: Cursor, workspace_id: str) -> list[Event]:
    """The workspace's next events after the cursor, in order (the caller has the viewer
    take each, so its memberships follow)."""
    return await events.read_stream(ctx, cursor.position, limit=PAGE, workspace_id=workspace_id)


async def save(ctx: ServiceContext, app_id: str, position: Position, *, sent: int = 0) -> None:
    """The app has acknowledged everything up to `position`, and was sent up to `sent`."""
    async with ctx.router.write(Main()) as conn:
        await store.set_position_txn(conn, app_id, position, ctx.clock(), sent=sent)


async def url_verified(ctx: ServiceContext, app_id: str) -> None:
    """The app's Request URL answered the challenge: deliveries may go to it."""
    now = ctx.clock()
    async with ctx.router.write(Main()) as conn:
        await store.update_app_txn(conn, app_id, url_verified=now)


async def disable_url(ctx: ServiceContext, app_id: str, reason: str) -> None:
    """Stop delivering to an app's Request URL that keeps failing, saying why (for admins);
    a new Request URL (the manifest updated) starts them again, from the app's position."""
    now = ctx.clock()
    async with ctx.router.write(Main()) as conn:
        await store.update_app_txn(
            conn, app_id, delivery_disabled=now, delivery_error=reason, updated=now
        )


@dataclass(frozen=True)
class AppState:
    """What an admin sees of an installed app's deliveries."""

    app: App
    transport: str  # "socket mode", "events api" or "none"
    request_url: str | None
    acknowledged: Position | None
    behind: int | None  # events of its log after its position (None: another log, or none)


async def app_states(ctx: ServiceContext, workspace_id: str | None = None) -> list[AppState]:
    """Every installed app (of one workspace), with how far behind its deliveries are."""
    async with ctx.router.read(Main()) as conn:
        found = await store.installed_apps_txn(
            conn, None if workspace_id is None else [workspace_id]
        )
        progress = {app.id: await store.position_txn(conn, app.id) for app in found}
    states = []
    for app in found:
        manifest = manifest_of(app)
        transport = "socket mode" if manifest.socket_mode else "events api"
        if not manifest.socket_mode and manifest.request_url is None:
            transport = "none"
        stored = progress[app.id]
        position = stored.position if stored is not None else None
        states.append(
            AppState(app, transport, manifest.request_url, position, await _behind(ctx, position))
        )
    return states


async def _behind(ctx: ServiceContext, position: Position | None) -> int | None:
    if position is None:
        return None
    head = await events.stream_head(ctx, position.stream)
    return head.seq - position.seq if head.epoch == position.epoch else None
