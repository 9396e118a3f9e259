"""Main DB: sign-in credentials (argon2 password hashes) and API tokens (SHA-256 hashes)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from backchannel.models import TokenInfo
from backchannel.storage.connection import Conn
from backchannel.storage.schema import credentials, tokens


async def insert_credential_txn(
    conn: Conn, *, user_id: str, workspace_id: str, email: str, password_hash: str | None
) -> None:
    await conn.execute(
        insert(credentials).values(
            user_id=user_id, workspace_id=workspace_id, email=email, password_hash=password_hash
        )
    )


async def email_taken_txn(conn: Conn, workspace_id: str, email: str) -> bool:
    query = select(credentials.c.user_id).where(
        credentials.c.workspace_id == workspace_id, credentials.c.email == email
    )
    return await conn.scalar(query) is not None


async def password_hash_for_txn(
    conn: Conn, workspace_id: str, email: str
) -> tuple[str, str | None] | None:
    """(user id, password hash) of the account with this email in the workspace."""
    row = (
        await conn.execute(
            select(credentials.c.user_id, credentials.c.password_hash).where(
                credentials.c.workspace_id == workspace_id, credentials.c.email == email
            )
        )
    ).first()
    return (row.user_id, row.password_hash) if row else None


async def insert_token_txn(conn: Conn, *, token_hash: str, info: TokenInfo, now: float) -> None:
    await conn.execute(
        insert(tokens).values(
            token_hash=token_hash,
            user_id=info.user_id,
            workspace_id=info.workspace_id,
            kind=info.kind,
            created=now,
        )
    )


async def token_info_txn(conn: Conn, token_hash: str) -> tuple[TokenInfo, bool] | None:
    """Who the token speaks for, and whether it was revoked."""
    row = (await conn.execute(select(tokens).where(tokens.c.token_hash == token_hash))).first()
    if row is None:
        return None
    return TokenInfo(row.user_id, row.workspace_id, row.kind), row.revoked is not None


async def revoke_token_txn(conn: Conn, token_hash: str, now: float) -> bool:
    result = await conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == token_hash, tokens.c.revoked.is_(None))
        .values(revoked=now)
    )
    return bool(result.rowcount)
