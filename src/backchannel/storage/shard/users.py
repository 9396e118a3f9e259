"""Shard: users and bots of the workspaces on this shard, and the lock on a person's row that
opening a DM takes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, delete, insert, select, update
from sqlalchemy.engine import Row

from backchannel.models import Bot, User
from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import is_object, readable
from backchannel.storage.schema import bots, memberships, users


async def insert_user_txn(conn: Conn, user: User) -> None:
    await conn.execute(
        insert(users).values(
            id=user.id,
            workspace_id=user.workspace_id,
            name=user.name,
            real_name=user.real_name,
            display_name=user.display_name,
            email=user.email,
            is_admin=user.is_admin,
            is_owner=user.is_owner,
            is_bot=user.is_bot,
            bot_id=user.bot_id,
            deleted=user.deleted,
            tz=user.tz,
            profile=user.profile,
            updated=user.updated,
        )
    )


async def insert_bot_txn(conn: Conn, bot: Bot) -> None:
    await conn.execute(
        insert(bots).values(
            id=bot.id,
            workspace_id=bot.workspace_id,
            user_id=bot.user_id,
            name=bot.name,
            deleted=bot.deleted,
            updated=bot.updated,
        )
    )


async def get_bot_txn(conn: Conn, workspace_id: str, bot_id: str) -> Bot | None:
    """A bot of the workspace, removed or not."""
    query = select(bots).where(bots.c.id == bot_id, bots.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return bot_from_row(row) if row else None


def bot_from_row(row: Row) -> Bot:
    return Bot(row.id, row.workspace_id, row.user_id, row.name, bool(row.deleted), row.updated)


async def delete_user_txn(conn: Conn, workspace_id: str, user_id: str) -> None:
    """Remove a user's seat that was never announced (undoing a half-made creation)."""
    await conn.execute(
        delete(memberships).where(
            memberships.c.user_id == user_id, memberships.c.workspace_id == workspace_id
        )
    )
    await conn.execute(
        delete(bots).where(bots.c.user_id == user_id, bots.c.workspace_id == workspace_id)
    )
    await conn.execute(delete(users).where(_seat(workspace_id, user_id)))


def _seat(workspace_id: str, user_id: str) -> ColumnElement[bool]:
    """One person's row in one workspace (a person may have a seat in several)."""
    return and_(users.c.id == user_id, users.c.workspace_id == workspace_id)


async def get_user_txn(conn: Conn, workspace_id: str, user_id: str) -> User | None:
    query = select(users).where(_seat(workspace_id, user_id))
    row = (await conn.execute(query)).first()
    return user_from_row(row) if row else None


async def name_taken_txn(conn: Conn, workspace_id: str, name: str) -> bool:
    query = select(users.c.id).where(users.c.workspace_id == workspace_id, users.c.name == name)
    return await conn.scalar(query) is not None


async def list_users_txn(
    conn: Conn, workspace_id: str, *, after_id: str = "", limit: int
) -> list[User]:
    query = (
        select(users)
        .where(users.c.workspace_id == workspace_id, users.c.id > after_id)
        .order_by(users.c.id)
        .limit(limit)
    )
    return [user_from_row(row) for row in await conn.execute(query)]


async def users_by_ids_txn(conn: Conn, workspace_id: str, user_ids: Collection[str]) -> list[User]:
    """These people's seats in the workspace (those that exist), by id."""
    query = (
        select(users)
        .where(users.c.workspace_id == workspace_id, users.c.id.in_(sorted(user_ids)))
        .order_by(users.c.id)
    )
    return [user_from_row(row) for row in await conn.execute(query)]


async def find_user_by_email_txn(conn: Conn, workspace_id: str, email: str) -> User | None:
    query = select(users).where(users.c.workspace_id == workspace_id, users.c.email == email)
    row = (await conn.execute(query)).first()
    return user_from_row(row) if row else None


async def update_profile_txn(conn: Conn, user: User) -> None:
    """Store the seat's profile as `user` has it; the names live in their own columns as
    well as in it."""
    await conn.execute(
        update(users)
        .where(_seat(user.workspace_id, user.id))
        .values(
            real_name=user.real_name,
            display_name=user.display_name,
            profile=user.profile,
            updated=user.updated,
        )
    )


async def set_presence_txn(conn: Conn, workspace_id: str, user_id: str, presence: str) -> None:
    await conn.execute(update(users).where(_seat(workspace_id, user_id)).values(presence=presence))


async def set_deleted_txn(
    conn: Conn, workspace_id: str, user_id: str, *, deleted: bool, now: float
) -> None:
    await conn.execute(
        update(users).where(_seat(workspace_id, user_id)).values(deleted=deleted, updated=now)
    )
    await conn.execute(
        update(bots)
        .where(bots.c.user_id == user_id, bots.c.workspace_id == workspace_id)
        .values(deleted=deleted, updated=now)
    )


def user_from_row(row: Row) -> User:
    return User(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        real_name=row.real_name,
        display_name=row.display_name,
        email=row.email,
        is_admin=bool(row.is_admin),
        is_owner=bool(row.is_owner),
        is_bot=bool(row.is_bot),
        bot_id=row.bot_id,
        deleted=bool(row.deleted),
        tz=row.tz,
        profile=dict(readable(row.profile, is_object, "profile", f"user {row.id}") or {}),
        updated=row.updated,
        presence=row.presence,
    )


async def lock_person_txn(conn: Conn, user_id: str) -> None:
    """Serialise the opening of DMs that involve this person (PostgreSQL; SQLite's writer
    lock does it already), so two concurrent opens cannot make the same DM twice."""
    await conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
