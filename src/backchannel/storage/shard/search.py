"""Shard: full-text search over messages, on SQLite FTS5 or PostgreSQL text search.

The index comes from shard migration 0004 (storage/migrations/shard/versions/0004_search.py):
on SQLite the FTS5 table `messages_fts`, kept by triggers; on PostgreSQL a GIN index on
to_tsvector('simple', text), which the expression below must repeat exactly to be used.

Terms arrive already parsed (services/messaging/search.py): each is a word or a phrase,
and a message matches when it holds every term. They are passed as bound values
(PostgreSQL) or as quoted FTS5 strings (SQLite), so no user input is ever read as query
syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, literal_column, or_, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from backchannel.models import Channel, Message
from backchannel.storage.engines.connection import Conn
from backchannel.storage.schema import channels, memberships, messages, users
from backchannel.storage.shard.channels import channel_from_row
from backchannel.storage.shard.messages import message_from_row

# Slack's highlight markers (private-use characters), around each matched word.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"

_fts = sql_table("messages_fts", sql_column("rowid"))
_FTS: ColumnElement[Any] = literal_column("messages_fts")
_SIMPLE: ColumnElement[Any] = literal_column(
    "'simple'"
)  # a literal, so PostgreSQL matches the index expression
_PG_HEADLINE = f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, HighlightAll=true"


@dataclass(frozen=True)
class Hit:
    message: Message
    highlighted: str | None  # the text with markers around matches, when asked for
    score: float = 0.0  # higher is better (comparable between shards: one formula)


@dataclass(frozen=True)
class HitPage:
    total: int  # every match, not only this page
    hits: list[Hit]


@dataclass(frozen=True)
class _Search:
    """The dialect's pieces of one search: where matches come from, and how they rank."""

    source: FromClause
    matches: ColumnElement[bool]
    score: ColumnElement[Any]  # higher is better
    highlighted: ColumnElement[Any]


async def search_messages_txn(
    conn: Conn,
    *,
    workspace_id: str,
    user_id: str,
    terms: Sequence[str],
    by_score: bool,
    ascending: bool,
    offset: int,
    limit: int,
    highlight: bool,
    among: Sequence[str] | None = None,
) -> HitPage:
    """One page of the messages holding every term that the user may see, and the total.

    Visible: messages of the workspace's public channels, and of the private channels, DMs
    and group DMs the user is a member of. Deleted messages (and tombstones) never match.
    With `among`: of these channels instead (shared with the workspace, on this shard).
    """
    search = _sqlite(terms) if conn.dialect.name == "sqlite" else _postgresql(terms)
    where = and_(search.matches, *_visible_to(workspace_id, user_id, among))
    total = await conn.scalar(select(func.count()).select_from(search.source).where(where))
    score = search.score.label("score")
    columns: list[Any] = [messages, score]
    if highlight:
        columns.append(search.highlighted.label("highlighted"))
    keys = [score, messages.c.ts] if by_score else [messages.c.ts]
    order = [key.asc() if ascending else key.desc() for key in keys]
    query: Select[Any] = (
        select(*columns)
        .select_from(search.source)
        .where(where)
        .order_by(*order, messages.c.channel_id)
        .offset(offset)
        .limit(limit)
    )
    rows = await conn.execute(query)
    hits = [
        Hit(message_from_row(row), row.highlighted if highlight else None, float(row.score))
        for row in rows
    ]
    return HitPage(int(total or 0), hits)


def _visible_to(
    workspace_id: str, user_id: str, among: Sequence[str] | None
) -> list[ColumnElement[bool]]:
    public = and_(
        channels.c.is_private.is_(False), channels.c.is_im.is_(False), channels.c.is_mpim.is_(False)
    )
    joined = select(memberships.c.channel_id).where(memberships.c.user_id == user_id)
    if among is None:  # at a shared channel's home the person may be in it from another seat
        joined = joined.where(memberships.c.workspace_id == workspace_id)
    if among is None:
        scope = [messages.c.workspace_id == workspace_id, channels.c.workspace_id == workspace_id]
    else:
        scope = [messages.c.channel_id.in_(list(among)), channels.c.id.in_(list(among))]
    return [
        *scope,
        messages.c.deleted.is_(False),
        or_(messages.c.subtype.is_(None), messages.c.subtype != "tombstone"),
        or_(public, channels.c.id.in_(joined)),
    ]


def _sqlite(terms: Sequence[str]) -> _Search:
    # Each term as an FTS5 string: double quotes doubled, so nothing in it is syntax.
    match = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    rowid: ColumnElement[Any] = literal_column("messages.rowid")
    source = _fts.join(messages, rowid == _fts.c.rowid).join(
        channels, channels.c.id == messages.c.channel_id
    )
    return _Search(
        source=source,
        matches=_FTS.op("MATCH")(match),
        score=-func.bm25(_FTS),  # bm25 is lower for better matches
        highlighted=func.highlight(_FTS, 0, HIGHLIGHT_START, HIGHLIGHT_END),
    )


def _postgresql(terms: Sequence[str]) -> _Search:
    vector = func.to_tsvector(_SIMPLE, messages.c.text)
    parts: list[ColumnElement[Any]] = [func.phraseto_tsquery(_SIMPLE, term) for term in terms]
    query = reduce(lambda left, right: left.op("&&")(right), parts)
    source = messages.join(channels, channels.c.id == messages.c.channel_id)
    return _Search(
        source=source,
        matches=vector.op("@@")(query),
        score=func.ts_rank(vector, query),
        highlighted=func.ts_headline(_SIMPLE, messages.c.text, query, _PG_HEADLINE),
    )


async def channels_by_id_txn(conn: Conn, channel_ids: set[str]) -> dict[str, Channel]:
    if not channel_ids:
        return {}
    rows = await conn.execute(select(channels).where(channels.c.id.in_(channel_ids)))
    return {row.id: channel_from_row(row) for row in rows}


async def user_names_txn(conn: Conn, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(user_ids)))
    return {row.id: row.name for row in rows}


async def members_txn(conn: Conn, channel_ids: set[str]) -> dict[str, list[str]]:
    """The members of each channel (for naming DMs and group DMs), in id order."""
    if not channel_ids:
        return {}
    rows = await conn.execute(
        select(memberships.c.channel_id, memberships.c.user_id)
        .where(memberships.c.channel_id.in_(channel_ids))
        .order_by(memberships.c.user_id)
    )
    members: dict[str, list[str]] = {channel_id: [] for channel_id in channel_ids}
    for row in rows:
        members[row.channel_id].append(row.user_id)
    return members
