"""Revoking tokens, and closing what was opened with them (docs/realtime.md, Revocation).

One path for every revocation (auth.revoke, a sign-out, a seat removed): the main DB marks
the tokens revoked, and each one's workspace log gets a `revocation` event naming them (by
hash), in one change (services/crossdb.py: the shard commits first, so a failure leaves at
worst a socket closed whose token still works, never the other way round). Every edge
follows the log, through the bus or by reading it, and closes the sockets opened with those
tokens, whichever process it runs in. A ticket of a revoked token opens nothing
(services/realtime/tickets.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from itertools import groupby

from backchannel.models import TokenInfo
from backchannel.models.events import revocation
from backchannel.router import ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.crossdb import main_then_shards
from backchannel.services.realtime import events
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import credentials as store


async def revoke(ctx: ServiceContext, token_hashes: Collection[str]) -> list[TokenInfo]:
    """Revoke these tokens (the ones still live) and close their sockets; who each of the
    revoked ones spoke for."""
    async with main_then_shards(ctx) as (main_conn, open_shard):
        revoked = await store.revoke_tokens_txn(main_conn, token_hashes, ctx.clock())
        for workspace_id, theirs in _by(revoked, lambda info: info.workspace_id):
            async with open_shard(ShardFor(workspace_id), _closed_is_closed) as conn:
                await announce_txn(ctx, conn, theirs)
    forget(ctx, revoked)
    return revoked


async def announce_txn(ctx: ServiceContext, conn: Transaction, revoked: list[TokenInfo]) -> None:
    """Tell the edges, in the log `conn` writes (the tokens' workspace's), that these tokens
    are revoked: their sockets close."""
    for user_id, theirs in _by(revoked, lambda info: info.user_id):
        hashes = [info.token_hash for info in theirs if info.token_hash is not None]
        await events.append_txn(ctx, conn, revocation(theirs[0].workspace_id, user_id, hashes))


def forget(ctx: ServiceContext, revoked: Iterable[TokenInfo]) -> None:
    """Drop the revoked tokens from this process's cache (others' expire: token_cache.py)."""
    for info in revoked:
        if info.token_hash is not None:
            ctx.tokens.forget(info.token_hash)


async def _closed_is_closed(conn: Conn) -> None:
    """Nothing to undo when the main DB fails after the log said so: the sockets closed,
    and their clients come back with tokens that still work."""


def _by(
    infos: list[TokenInfo], key: Callable[[TokenInfo], str]
) -> Iterable[tuple[str, list[TokenInfo]]]:
    for value, group in groupby(sorted(infos, key=key), key=key):
        yield value, list(group)
