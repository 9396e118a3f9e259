"""Shard: uploaded files' metadata, on the shard of the uploader's workspace (docs/files.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from backchannel.models.files import StoredFile
from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import is_object_list, readable
from backchannel.storage.schema import files


async def insert_file_txn(conn: Conn, file: StoredFile, upload_hash: str) -> None:
    """A pending file, reachable for upload by the secret whose SHA-256 is `upload_hash`."""
    await conn.execute(
        insert(files).values(
            id=file.id,
            workspace_id=file.workspace_id,
            user_id=file.user_id,
            name=file.name,
            title=file.title,
            length=file.length,
            created=file.created,
            state="pending",
            upload_hash=upload_hash,
        )
    )


async def take_upload_txn(conn: Conn, file_id: str, upload_hash: str) -> StoredFile | None:
    """The pending file this upload secret is for, the secret used up; None if unknown or
    used."""
    taken = (
        update(files)
        .where(files.c.id == file_id, files.c.upload_hash == upload_hash)
        .values(upload_hash=None)
        .returning(*files.c)
    )
    row = (await conn.execute(taken)).first()
    return None if row is None else _from_row(row)


async def set_uploaded_txn(
    conn: Conn, file_id: str, *, sha256: str, size: int, mimetype: str
) -> None:
    await conn.execute(
        update(files)
        .where(files.c.id == file_id, files.c.state == "pending")
        .values(sha256=sha256, size=size, mimetype=mimetype, state="uploaded")
    )


async def set_shared_txn(
    conn: Conn, file_id: str, *, title: str, shares: list[dict[str, Any]]
) -> None:
    await conn.execute(
        update(files)
        .where(files.c.id == file_id)
        .values(title=title, shares=shares, state="complete")
    )


async def get_file_txn(conn: Conn, file_id: str) -> StoredFile | None:
    row = (await conn.execute(select(files).where(files.c.id == file_id))).first()
    return None if row is None else _from_row(row)


def _from_row(row: Row[Any]) -> StoredFile:
    return StoredFile(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        name=row.name,
        title=row.title,
        length=row.length,
        created=row.created,
        state=row.state,
        mimetype=row.mimetype,
        size=row.size,
        sha256=row.sha256,
        shares=readable(row.shares, is_object_list, "shares", row.id) or [],
    )
