"""Main DB: Slack Connect invitations (docs/organisations.md, part 3)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Row

from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import shared_invites

PENDING, ACCEPTED, DECLINED, REVOKED = "pending", "accepted", "declined", "revoked"


@dataclass(frozen=True)
class SharedInvite:
    id: str
    channel_id: str
    host_workspace_id: str
    inviter_id: str
    target_workspace_id: str | None  # the workspace invited, or
    target_email: str | None  # one of its people, by email
    created: float
    expires: float
    state: str
    decided_by: str | None = None
    accepted_workspace_id: str | None = None


async def insert_invite_txn(conn: Conn, invite: SharedInvite) -> None:
    await conn.execute(
        insert(shared_invites).values(
            id=invite.id,
            channel_id=invite.channel_id,
            host_workspace_id=invite.host_workspace_id,
            inviter_id=invite.inviter_id,
            target_workspace_id=invite.target_workspace_id,
            target_email=invite.target_email,
            created=invite.created,
            expires=invite.expires,
            state=invite.state,
            updated=invite.created,
        )
    )


async def get_invite_txn(
    conn: Conn, invite_id: str, *, for_update: bool = False
) -> SharedInvite | None:
    query = select(shared_invites).where(shared_invites.c.id == invite_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _invite(row) if row else None


async def pending_for_channel_txn(conn: Conn, channel_id: str) -> list[SharedInvite]:
    query = select(shared_invites).where(
        shared_invites.c.channel_id == channel_id, shared_invites.c.state == PENDING
    )
    return [_invite(row) for row in await conn.execute(query)]


async def pending_invites_txn(
    conn: Conn, workspace_id: str, *, after_id: str, limit: int
) -> list[SharedInvite]:
    """Pending invitations from the workspace, to it, or to an email (the caller keeps
    those to its own people's), by id."""
    concerning = [
        shared_invites.c.host_workspace_id == workspace_id,
        shared_invites.c.target_workspace_id == workspace_id,
        shared_invites.c.target_email.is_not(None),
    ]
    query = (
        select(shared_invites)
        .where(
            shared_invites.c.state == PENDING,
            shared_invites.c.id > after_id,
            or_(*concerning),
        )
        .order_by(shared_invites.c.id)
        .limit(limit)
    )
    return [_invite(row) for row in await conn.execute(query)]


async def decide_invite_txn(
    conn: Conn,
    invite_id: str,
    *,
    state: str,
    by: str,
    now: float,
    accepted_workspace_id: str | None = None,
) -> bool:
    """Move a pending invitation to `state`; False when it was no longer pending."""
    result = await conn.execute(
        update(shared_invites)
        .where(shared_invites.c.id == invite_id, shared_invites.c.state == PENDING)
        .values(
            state=state, decided_by=by, accepted_workspace_id=accepted_workspace_id, updated=now
        )
    )
    return bool(result.rowcount)


def _invite(row: Row) -> SharedInvite:
    return SharedInvite(
        id=row.id,
        channel_id=row.channel_id,
        host_workspace_id=row.host_workspace_id,
        inviter_id=row.inviter_id,
        target_workspace_id=row.target_workspace_id,
        target_email=row.target_email,
        created=row.created,
        expires=row.expires,
        state=row.state,
        decided_by=row.decided_by,
        accepted_workspace_id=row.accepted_workspace_id,
    )
