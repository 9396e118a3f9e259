"""Main DB: Slack apps installed in workspaces, and how far each has acknowledged its
workspace's event log (docs/apps.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row

from backchannel.models import App, Position
from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import is_object, readable
from backchannel.storage.schema import app_positions, apps


async def insert_app_txn(conn: Conn, app: App, client_secret_hash: str) -> None:
    await conn.execute(
        insert(apps).values(
            id=app.id,
            workspace_id=app.workspace_id,
            name=app.name,
            bot_id=app.bot_id,
            bot_user_id=app.bot_user_id,
            manifest=app.manifest,
            signing_secret=app.signing_secret,
            client_id=app.client_id,
            client_secret_hash=client_secret_hash,
            installed_by=app.installed_by,
            created=app.created,
            updated=app.updated,
        )
    )


async def app_txn(conn: Conn, app_id: str) -> App | None:
    """The app, installed or not (uninstalled apps keep their row: their id is not reused)."""
    row = (await conn.execute(select(apps).where(apps.c.id == app_id))).first()
    return _app(row) if row else None


async def app_by_client_id_txn(
    conn: Conn, workspace_id: str, client_id: str
) -> tuple[App, str] | None:
    """The workspace's installed app with this client id, and its client secret's hash."""
    query = select(apps).where(
        apps.c.workspace_id == workspace_id,
        apps.c.client_id == client_id,
        apps.c.uninstalled.is_(None),
    )
    row = (await conn.execute(query)).first()
    return (_app(row), str(row.client_secret_hash)) if row else None


async def app_of_bot_txn(conn: Conn, workspace_id: str, bot_id: str) -> App | None:
    """The app (installed or not) whose bot this is; None for a bot of no app."""
    query = select(apps).where(apps.c.workspace_id == workspace_id, apps.c.bot_id == bot_id)
    row = (await conn.execute(query)).first()
    return _app(row) if row else None


async def installed_apps_txn(conn: Conn, workspace_ids: list[str] | None = None) -> list[App]:
    """The installed apps (of these workspaces), by id."""
    query = select(apps).where(apps.c.uninstalled.is_(None)).order_by(apps.c.id)
    if workspace_ids is not None:
        query = query.where(apps.c.workspace_id.in_(workspace_ids))
    return [_app(row) for row in await conn.execute(query)]


async def update_app_txn(conn: Conn, app_id: str, **values: Any) -> None:
    await conn.execute(update(apps).where(apps.c.id == app_id).values(**values))


@dataclass(frozen=True)
class Progress:
    """How far an app has acknowledged its log, and the furthest event sent to it."""

    position: Position
    sent: int


async def position_txn(conn: Conn, app_id: str) -> Progress | None:
    query = select(app_positions).where(app_positions.c.app_id == app_id)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Progress(Position(row.stream, row.epoch, int(row.seq)), int(row.sent))


async def set_position_txn(
    conn: Conn, app_id: str, position: Position, now: float, *, sent: int = 0
) -> None:
    """Move the app's position, and note what was sent beyond it (forward only within one
    log: a late write never takes either back)."""
    seq, sent = position.seq, max(sent, position.seq)
    current = await position_txn(conn, app_id)
    if current is None:
        values = {"stream": position.stream, "epoch": position.epoch, "seq": seq, "sent": sent}
        await conn.execute(insert(app_positions).values(app_id=app_id, updated=now, **values))
        return
    was = current.position
    if (was.stream, was.epoch) == (position.stream, position.epoch):
        if was.seq >= seq and current.sent >= sent:
            return
        seq, sent = max(was.seq, seq), max(current.sent, sent)
    values = {"stream": position.stream, "epoch": position.epoch, "seq": seq, "sent": sent}
    await conn.execute(
        update(app_positions).where(app_positions.c.app_id == app_id).values(updated=now, **values)
    )


async def delete_position_txn(conn: Conn, app_id: str) -> None:
    await conn.execute(delete(app_positions).where(app_positions.c.app_id == app_id))


def _app(row: Row) -> App:
    manifest = readable(row.manifest, is_object, "apps.manifest", row.id)
    return App(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        bot_id=row.bot_id,
        bot_user_id=row.bot_user_id,
        manifest=manifest or {},
        signing_secret=row.signing_secret,
        client_id=row.client_id,
        installed_by=row.installed_by,
        created=row.created,
        updated=row.updated,
        uninstalled=row.uninstalled,
        url_verified=row.url_verified,
        delivery_disabled=row.delivery_disabled,
        delivery_error=row.delivery_error,
    )
