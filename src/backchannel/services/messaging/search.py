"""Searching messages: parsing the query, and what the caller may see of the results.

A query is words and "quoted phrases"; a message matches when it holds all of them. The
index and its query live in storage/shard/search.py. A search runs on the caller's workspace's
shard (a workspace lives on one shard), and on the shards of the channels other workspaces
share with it, whose results are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backchannel.errors import InvalidArgument
from backchannel.models import Channel, Message, TokenInfo
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.tenancy.shared_refs import refs_by_host
from backchannel.storage.shard import search as store

MAX_TERMS = 32
# A quote opens a phrase that runs to the next quote, or to the end of the query.
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_SEARCHABLE = re.compile(r"[^\W_]")  # a letter or digit: the tokenizers drop everything else


@dataclass(frozen=True)
class Match:
    message: Message
    channel: Channel
    username: str  # the author's handle; "" when the message has no user
    members: list[str] | None  # for a DM or group DM, which are named after their members
    highlighted: str | None
    score: float = 0.0


@dataclass(frozen=True)
class Results:
    total: int
    matches: list[Match]


def parse_query(query: str) -> list[str]:
    """The terms of a query: each word, and each quoted phrase as one term.

    Terms without a letter or digit are dropped: neither index has anything to find for them.
    """
    terms: list[str] = []
    for phrase, word in _TERM.findall(query):
        term = " ".join((phrase or word).split())
        if _SEARCHABLE.search(term):
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise InvalidArgument(f"the query has {len(terms)} terms; at most {MAX_TERMS}")
    return terms


async def search_messages(
    ctx: ServiceContext,
    caller: TokenInfo,
    query: str,
    *,
    by_score: bool = True,
    ascending: bool = False,
    offset: int = 0,
    limit: int = 20,
    highlight: bool = False,
) -> Results:
    """The messages matching `query` in the conversations the caller may read."""
    terms = parse_query(query)
    if not terms:
        return Results(0, [])
    shared = await refs_by_host(ctx, caller.workspace_id)
    if not shared:  # the common case: one shard, which pages the results itself
        return await _search_shard(
            ctx,
            caller,
            caller.workspace_id,
            None,
            terms,
            by_score,
            ascending,
            offset,
            limit,
            highlight,
        )
    # Channels other workspaces share live on their homes' shards: each shard gives its
    # first offset + limit, and the merge pages them (a scatter and gather).
    parts = [
        await _search_shard(
            ctx, caller, home, among, terms, by_score, ascending, 0, offset + limit, highlight
        )
        for home, among in [(caller.workspace_id, None), *shared.items()]
    ]
    merged = sorted(
        (match for part in parts for match in part.matches),
        key=lambda match: _order_key(match, by_score),
        reverse=not ascending,
    )
    return Results(sum(part.total for part in parts), merged[offset : offset + limit])


def _order_key(match: Match, by_score: bool) -> tuple[float, str, str]:
    score = match.score if by_score else 0.0
    return (score, match.message.ts, match.message.channel_id)


async def _search_shard(
    ctx: ServiceContext,
    caller: TokenInfo,
    home: str,
    among: list[str] | None,
    terms: list[str],
    by_score: bool,
    ascending: bool,
    offset: int,
    limit: int,
    highlight: bool,
) -> Results:
    """The matches on the shard of `home`: the caller's workspace's own conversations, or
    (`among`) the channels `home` shares with it."""
    async with ctx.router.read(ShardFor(home), replica_ok=True) as conn:
        page = await store.search_messages_txn(
            conn,
            workspace_id=caller.workspace_id,
            user_id=caller.user_id,
            terms=terms,
            by_score=by_score,
            ascending=ascending,
            offset=offset,
            limit=limit,
            highlight=highlight,
            among=among,
        )
        hits = page.hits
        found = await store.channels_by_id_txn(conn, {hit.message.channel_id for hit in hits})
        names = await store.user_names_txn(
            conn, {h.message.user_id for h in hits if h.message.user_id}
        )
        unnamed = {channel.id for channel in found.values() if channel.is_im or channel.is_mpim}
        members = await store.members_txn(conn, unnamed)
    if among is not None:  # a disconnect is decided by the channel row, not the reference
        hits = [h for h in hits if found[h.message.channel_id].is_shared_with(caller.workspace_id)]
    names |= await _other_sides_names(ctx, hits, names)
    matches = [
        Match(
            message=hit.message,
            channel=found[hit.message.channel_id],
            username=names.get(hit.message.user_id or "", ""),
            members=members.get(hit.message.channel_id),
            highlighted=hit.highlighted,
            score=hit.score,
        )
        for hit in hits
    ]
    return Results(page.total, matches)


async def _other_sides_names(
    ctx: ServiceContext, hits: list[store.Hit], known: dict[str, str]
) -> dict[str, str]:
    """The handles of authors from other workspaces, read from their own workspaces."""
    wanted: dict[str, set[str]] = {}
    for hit in hits:
        author, team = hit.message.user_id, hit.message.user_team
        if author and team and author not in known:
            wanted.setdefault(team, set()).add(author)
    names: dict[str, str] = {}
    for team, authors in wanted.items():
        async with ctx.router.read(ShardFor(team)) as conn:
            names |= await store.user_names_txn(conn, authors)
    return names
