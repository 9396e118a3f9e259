"""Shard: single-use websocket tickets, stored hashed (docs/realtime.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert

from backchannel.models import TokenInfo
from backchannel.storage.engines.connection import Conn
from backchannel.storage.log.events import stream_state_txn
from backchannel.storage.schema import rtm_tickets


@dataclass(frozen=True)
class StoredTicket:
    caller: TokenInfo  # with the hash of the token it was asked for with
    since_epoch: str  # the shard log's head when the ticket was issued
    since_seq: int


async def insert_ticket_txn(
    conn: Conn, ticket_hash: str, info: TokenInfo, *, expires: float, now: float
) -> None:
    """A ticket for `info`, bound to its token (`info.token_hash`, an authenticated
    caller's)."""
    # Expired tickets go as new ones come, so the table stays as small as the live ones.
    await conn.execute(delete(rtm_tickets).where(rtm_tickets.c.expires < now))
    head = await stream_state_txn(conn)
    await conn.execute(
        insert(rtm_tickets).values(
            ticket_hash=ticket_hash,
            workspace_id=info.workspace_id,
            user_id=info.user_id,
            kind=info.kind,
            expires=expires,
            since_epoch=head.epoch,
            since_seq=head.head,
            token_hash=info.token_hash,
        )
    )


async def take_ticket_txn(conn: Conn, ticket_hash: str, *, now: float) -> StoredTicket | None:
    """Use a ticket up: whoever it was issued to, or None if unknown, used or expired."""
    taken = (
        delete(rtm_tickets)
        .where(rtm_tickets.c.ticket_hash == ticket_hash)
        .returning(*rtm_tickets.c)
    )
    row = (await conn.execute(taken)).first()
    if row is None or row.expires < now:
        return None
    caller = TokenInfo(row.user_id, row.workspace_id, row.kind, row.token_hash)
    return StoredTicket(caller, row.since_epoch, row.since_seq)
