"""Shard: profile photos, one per user, stored as uploaded (docs/webapp.md, Avatars)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import avatars


@dataclass(frozen=True)
class Avatar:
    user_id: str
    hash: str  # 12 hex digits of the image's SHA-256, as Slack's avatar_hash
    content_type: str  # image/png, image/jpeg or image/gif
    image: bytes
    updated: float


async def put_avatar_txn(conn: Conn, avatar: Avatar) -> None:
    """Store a user's photo in place of any earlier one."""
    # Delete then insert: the same statements on SQLite and PostgreSQL (no dialect upsert).
    await conn.execute(delete(avatars).where(avatars.c.user_id == avatar.user_id))
    await conn.execute(
        insert(avatars).values(
            user_id=avatar.user_id,
            hash=avatar.hash,
            content_type=avatar.content_type,
            image=avatar.image,
            updated=avatar.updated,
        )
    )


async def get_avatar_txn(conn: Conn, user_id: str, avatar_hash: str) -> Avatar | None:
    """The user's photo if its hash is `avatar_hash` (an old URL finds nothing)."""
    query = select(avatars).where(avatars.c.user_id == user_id, avatars.c.hash == avatar_hash)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Avatar(row.user_id, row.hash, row.content_type, bytes(row.image), row.updated)


async def delete_avatar_txn(conn: Conn, user_id: str) -> bool:
    """Remove the user's photo; False when they had none."""
    result = await conn.execute(delete(avatars).where(avatars.c.user_id == user_id))
    return bool(result.rowcount)
