"""Main DB: an organisation's admins and its people's seats (docs/organisations.md)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from backchannel.models import Workspace
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main.workspaces import workspace_from_row
from backchannel.storage.schema import org_admins, org_channels, seats, workspaces


async def add_org_admin_txn(conn: Conn, org_id: str, user_id: str, now: float) -> None:
    if not await is_org_admin_txn(conn, org_id, user_id):
        await conn.execute(insert(org_admins).values(org_id=org_id, user_id=user_id, created=now))


async def is_org_admin_txn(conn: Conn, org_id: str, user_id: str) -> bool:
    query = select(org_admins.c.user_id).where(
        org_admins.c.org_id == org_id, org_admins.c.user_id == user_id
    )
    return await conn.scalar(query) is not None


async def set_org_channel_txn(
    conn: Conn, org_id: str, channel_id: str, *, org_wide: bool, now: float
) -> None:
    """Mark a channel organisation-wide, or no longer."""
    mine = (org_channels.c.org_id == org_id) & (org_channels.c.channel_id == channel_id)
    await conn.execute(delete(org_channels).where(mine))
    if org_wide:
        await conn.execute(
            insert(org_channels).values(org_id=org_id, channel_id=channel_id, created=now)
        )


async def org_channel_ids_txn(conn: Conn, org_id: str) -> list[str]:
    query = select(org_channels.c.channel_id).where(org_channels.c.org_id == org_id)
    return [
        str(channel_id)
        for channel_id in await conn.scalars(query.order_by(org_channels.c.channel_id))
    ]


async def add_seat_txn(conn: Conn, user_id: str, workspace_id: str, now: float) -> None:
    await conn.execute(insert(seats).values(user_id=user_id, workspace_id=workspace_id, joined=now))


async def remove_seat_txn(conn: Conn, user_id: str, workspace_id: str) -> bool:
    removed = await conn.execute(
        delete(seats).where(seats.c.user_id == user_id, seats.c.workspace_id == workspace_id)
    )
    return bool(removed.rowcount)


async def seat_workspaces_txn(conn: Conn, user_id: str) -> list[Workspace]:
    """Every workspace the person has a seat in, the first joined first."""
    query = (
        select(workspaces)
        .join(seats, seats.c.workspace_id == workspaces.c.id)
        .where(seats.c.user_id == user_id)
        .order_by(seats.c.joined, workspaces.c.id)
    )
    return [workspace_from_row(row) for row in await conn.execute(query)]


async def org_workspaces_txn(
    conn: Conn, org_id: str, *, after_id: str = "", limit: int
) -> list[Workspace]:
    query = (
        select(workspaces)
        .where(workspaces.c.org_id == org_id, workspaces.c.id > after_id)
        .order_by(workspaces.c.id)
        .limit(limit)
    )
    return [workspace_from_row(row) for row in await conn.execute(query)]
