"""Main DB: organisations and workspaces."""

from __future__ import annotations

from sqlalchemy import func, insert, or_, select
from sqlalchemy.engine import Row

from backchannel.models import Organisation, Workspace
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import organisations, workspaces


async def insert_org_txn(conn: Conn, org: Organisation) -> None:
    await conn.execute(insert(organisations).values(id=org.id, name=org.name, created=org.created))


async def get_org_txn(conn: Conn, org_id: str) -> Organisation | None:
    row = (await conn.execute(select(organisations).where(organisations.c.id == org_id))).first()
    return Organisation(row.id, row.name, row.created) if row else None


async def insert_workspace_txn(conn: Conn, workspace: Workspace) -> None:
    await conn.execute(
        insert(workspaces).values(
            id=workspace.id,
            keyspace=workspace.keyspace,
            name=workspace.name,
            domain=workspace.domain,
            org_id=workspace.org_id,
            created=workspace.created,
        )
    )


async def find_workspace_txn(conn: Conn, id_or_domain: str) -> Workspace | None:
    query = select(workspaces).where(
        or_(workspaces.c.id == id_or_domain, workspaces.c.domain == id_or_domain.lower())
    )
    row = (await conn.execute(query)).first()
    return workspace_from_row(row) if row else None


async def domain_taken_txn(conn: Conn, domain: str) -> bool:
    return (
        await conn.scalar(select(workspaces.c.id).where(workspaces.c.domain == domain)) is not None
    )


async def list_workspaces_txn(conn: Conn) -> list[Workspace]:
    rows = await conn.execute(select(workspaces).order_by(workspaces.c.keyspace))
    return [workspace_from_row(row) for row in rows]


def workspace_from_row(row: Row) -> Workspace:
    return Workspace(
        id=row.id,
        keyspace=row.keyspace,
        name=row.name,
        domain=row.domain,
        org_id=row.org_id,
        created=row.created,
    )


async def count_orgs_txn(conn: Conn) -> int:
    return int(await conn.scalar(select(func.count()).select_from(organisations)) or 0)
