"""Websocket tickets: rtm.connect gives one out, the edge takes it when the socket opens.

A ticket is single-use and lives 30 seconds, as Slack's do. It is stored hashed in the
workspace's shard, so any edge process can take it, and it carries the workspace's id so
the edge knows which shard to look in without a lookup.
"""

from __future__ import annotations

import secrets

from backchannel.errors import NotFound
from backchannel.models import TokenInfo
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.identity.auth import token_is_live
from backchannel.services.identity.credentials import hash_token
from backchannel.storage.shard import tickets as store
from backchannel.storage.shard.tickets import StoredTicket
from backchannel.types import WORKSPACE, InvalidId, keyspace_of

TICKET_SECONDS = 30.0


async def issue_ticket(ctx: ServiceContext, caller: TokenInfo) -> str:
    """A ticket for an authenticated caller, bound to the token they called with."""
    if caller.token_hash is None:
        raise ValueError("a ticket is issued to an authenticated caller: its token is not known")
    ticket = f"{caller.workspace_id}-{secrets.token_urlsafe(24)}"
    now = ctx.clock()
    async with ctx.router.write(ShardFor(caller.workspace_id)) as conn:
        await store.insert_ticket_txn(
            conn, hash_token(ticket), caller, expires=now + TICKET_SECONDS, now=now
        )
    return ticket


async def redeem_ticket(ctx: ServiceContext, ticket: str) -> StoredTicket | None:
    """Who the ticket was issued to and where their log stood then, once; None if it is
    unknown, used or expired, or its token was revoked since."""
    taken = await _take(ctx, ticket)
    if taken is None or taken.caller.token_hash is None:
        return None
    if not await token_is_live(ctx, taken.caller.token_hash):
        return None
    return taken


async def _take(ctx: ServiceContext, ticket: str) -> StoredTicket | None:
    workspace_id, _, secret = ticket.partition("-")
    try:
        keyspace_of(workspace_id)
    except InvalidId:
        return None
    if not secret or not workspace_id.startswith(WORKSPACE):
        return None
    try:
        async with ctx.router.write(ShardFor(workspace_id)) as conn:
            return await store.take_ticket_txn(conn, hash_token(ticket), now=ctx.clock())
    except NotFound:  # a workspace that does not exist (any more)
        return None
