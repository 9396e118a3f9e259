"""Main DB: sign-in credentials (argon2 password hashes) and API tokens (SHA-256 hashes)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update

from backchannel.models import TokenInfo
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import credentials, seats, tokens


async def insert_credential_txn(
    conn: Conn, *, user_id: str, workspace_id: str, email: str, password_hash: str | None
) -> None:
    await conn.execute(
        insert(credentials).values(
            user_id=user_id, workspace_id=workspace_id, email=email, password_hash=password_hash
        )
    )


async def email_taken_txn(conn: Conn, workspace_id: str, email: str) -> bool:
    """Does someone sitting in the workspace sign in with this email?"""
    query = (
        select(credentials.c.user_id)
        .join(seats, seats.c.user_id == credentials.c.user_id)
        .where(seats.c.workspace_id == workspace_id, credentials.c.email == email)
    )
    return await conn.scalar(query) is not None


async def set_password_txn(
    conn: Conn, workspace_id: str, email: str, password_hash: str
) -> str | None:
    """Give the person who signs in to the workspace with `email` this password; their
    user id, or None when nobody there does."""
    query = (
        select(credentials.c.user_id)
        .join(seats, seats.c.user_id == credentials.c.user_id)
        .where(seats.c.workspace_id == workspace_id, credentials.c.email == email)
    )
    user_id: str | None = await conn.scalar(query)
    if user_id is not None:
        await conn.execute(
            update(credentials)
            .where(credentials.c.user_id == user_id)
            .values(password_hash=password_hash)
        )
    return user_id


@dataclass(frozen=True)
class Account:
    """A person's sign-in in one workspace (an email may have one in several)."""

    workspace_id: str
    user_id: str
    password_hash: str | None


async def accounts_for_email_txn(conn: Conn, email: str) -> list[Account]:
    """Every seat of the people with this email, each person's first seat first: a person's
    credentials open each of their seats (an organisation's people may have several)."""
    query = (
        select(seats.c.workspace_id, credentials.c.user_id, credentials.c.password_hash)
        .join(seats, seats.c.user_id == credentials.c.user_id)
        .where(credentials.c.email == email)
        .order_by(seats.c.joined, seats.c.workspace_id)
    )
    return [
        Account(row.workspace_id, row.user_id, row.password_hash)
        for row in await conn.execute(query)
    ]


@dataclass(frozen=True)
class StoredToken:
    info: TokenInfo  # who it speaks for
    revoked: bool
    session_hash: str | None  # a browser session's cookie hash; None for API tokens


async def insert_token_txn(
    conn: Conn, *, token_hash: str, info: TokenInfo, now: float, session_hash: str | None = None
) -> None:
    await conn.execute(
        insert(tokens).values(
            token_hash=token_hash,
            user_id=info.user_id,
            workspace_id=info.workspace_id,
            kind=info.kind,
            created=now,
            session_hash=session_hash,
            scopes=None if info.scopes is None else sorted(info.scopes),
            app_id=info.app_id,
        )
    )


async def stored_token_txn(conn: Conn, token_hash: str) -> StoredToken | None:
    row = (await conn.execute(select(tokens).where(tokens.c.token_hash == token_hash))).first()
    if row is None:
        return None
    info = TokenInfo(
        row.user_id,
        row.workspace_id,
        row.kind,
        token_hash,
        scopes=_scopes(row.scopes),
        app_id=row.app_id,
    )
    return StoredToken(info, row.revoked is not None, row.session_hash)


def _scopes(stored: Any) -> frozenset[str] | None:
    """tokens.scopes as stored: a JSON list of scope names, or null (a person's own token)."""
    if stored is None:
        return None
    return frozenset(str(scope) for scope in stored) if isinstance(stored, list) else frozenset()


async def session_tokens_txn(conn: Conn, session_hash: str) -> list[TokenInfo]:
    """The live tokens bound to a browser's cookie: the people signed in in it, a token per
    tab and workspace."""
    live = (tokens.c.session_hash == session_hash) & tokens.c.revoked.is_(None)
    query = select(tokens.c.token_hash, tokens.c.user_id, tokens.c.workspace_id, tokens.c.kind)
    return [
        TokenInfo(row.user_id, row.workspace_id, row.kind, row.token_hash)
        for row in await conn.execute(query.where(live))
    ]


async def revoke_tokens_txn(
    conn: Conn, token_hashes: Collection[str], now: float
) -> list[TokenInfo]:
    """Revoke those of these tokens still live; who each spoke for (with its hash)."""
    live = tokens.c.token_hash.in_(sorted(token_hashes)) & tokens.c.revoked.is_(None)
    return await _revoke_txn(conn, live, now)


async def revoke_seat_tokens_txn(
    conn: Conn, user_id: str, workspace_id: str, now: float
) -> list[TokenInfo]:
    """Revoke every live token of a person in one workspace; who each spoke for."""
    live = (tokens.c.user_id == user_id) & (tokens.c.workspace_id == workspace_id)
    return await _revoke_txn(conn, live & tokens.c.revoked.is_(None), now)


async def revoke_app_tokens_txn(conn: Conn, app_id: str, now: float) -> list[TokenInfo]:
    """Revoke every live token of an app (its bot's and its app-level ones)."""
    return await _revoke_txn(conn, (tokens.c.app_id == app_id) & tokens.c.revoked.is_(None), now)


async def set_app_scopes_txn(
    conn: Conn, app_id: str, kind: str, scopes: frozenset[str]
) -> list[str]:
    """Grant an app's live tokens of one kind these scopes instead (a changed manifest);
    their hashes."""
    live = (tokens.c.app_id == app_id) & (tokens.c.kind == kind) & tokens.c.revoked.is_(None)
    changed = (
        update(tokens).where(live).values(scopes=sorted(scopes)).returning(tokens.c.token_hash)
    )
    return list(await conn.scalars(changed))


async def _revoke_txn(conn: Conn, live: ColumnElement[bool], now: float) -> list[TokenInfo]:
    revoked = (
        update(tokens)
        .where(live)
        .values(revoked=now)
        .returning(tokens.c.token_hash, tokens.c.user_id, tokens.c.workspace_id, tokens.c.kind)
    )
    return [
        TokenInfo(row.user_id, row.workspace_id, row.kind, row.token_hash)
        for row in await conn.execute(revoked)
    ]
