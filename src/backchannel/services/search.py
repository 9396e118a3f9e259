"""Searching messages: parsing the query, and what the caller may see of the results.

A query is words and "quoted phrases"; a message matches when it holds all of them. The
index and its query live in storage/search.py; the whole search runs on the caller's
workspace's shard (a workspace lives on one shard), so no scatter is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backchannel.errors import InvalidArgument
from backchannel.models import Channel, Message, TokenInfo
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.storage import search as store

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
    async with ctx.router.read(ShardFor(caller.workspace_id)) as conn:
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
        )
        hits = page.hits
        found = await store.channels_by_id_txn(conn, {hit.message.channel_id for hit in hits})
        names = await store.user_names_txn(
            conn, {h.message.user_id for h in hits if h.message.user_id}
        )
        unnamed = {channel.id for channel in found.values() if channel.is_im or channel.is_mpim}
        members = await store.members_txn(conn, unnamed)
    matches = [
        Match(
            message=hit.message,
            channel=found[hit.message.channel_id],
            username=names.get(hit.message.user_id or "", ""),
            members=members.get(hit.message.channel_id),
            highlighted=hit.highlighted,
        )
        for hit in hits
    ]
    return Results(page.total, matches)
