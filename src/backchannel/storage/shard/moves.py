"""A shard's rows of one workspace, as `admin move-workspace` copies, compares and deletes
them (ops/moves.py).

A workspace's rows are those of its own (`workspace_id` = it: people, bots, channels, the
references to channels shared with it, what its imports made of outside ids, and its
files' metadata: their bytes are in the blob store, which every shard shares), the
avatars of its own people, and everything keyed by the channels whose home it is
(memberships, messages, reactions, pins, read marks), whoever's they are. Its events and
tickets are not copied: they belong to the old shard's log, which clients leave when told
the workspace moved; they are deleted with the rest at the end.

A `Scope` is one table under one condition, read in pages in primary-key order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)

from backchannel.storage.engines.connection import Conn
from backchannel.storage.json_values import UNREADABLE
from backchannel.storage.schema import (
    avatars,
    bots,
    channel_refs,
    channels,
    events,
    files,
    import_ids,
    memberships,
    messages,
    pins,
    reactions,
    read_markers,
    rtm_tickets,
    users,
)

CHANNEL_BATCH = 500  # channels named in one IN (...) condition
Key = tuple[Any, ...]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Scope:
    table: Table
    condition: ColumnElement[bool]

    @property
    def key(self) -> list[Any]:
        return list(self.table.primary_key.columns)

    @cached_property
    def key_positions(self) -> tuple[int, ...]:
        """Where the primary key's columns are in a whole row (worked out once: every row of
        a page is keyed)."""
        columns = list(self.table.columns)
        return tuple(columns.index(column) for column in self.key)

    def after(self, key: Key | None) -> ColumnElement[bool]:
        """Rows after `key` in primary-key order (keyset paging)."""
        if key is None:
            return true()
        columns = self.key
        # (a, b) > (x, y) spelled out: SQLite and PostgreSQL both index it.
        alternatives = [
            and_(*(c == v for c, v in zip(columns[:i], key[:i], strict=True)), columns[i] > key[i])
            for i in range(len(columns))
        ]
        return or_(*alternatives)


def scopes(workspace_id: str, channel_ids: Sequence[str], own_people: Sequence[str]) -> list[Scope]:
    """Every scope of the workspace's rows, parents before children (foreign keys)."""
    found = [
        Scope(users, users.c.workspace_id == workspace_id),
        Scope(bots, bots.c.workspace_id == workspace_id),
        Scope(channels, channels.c.workspace_id == workspace_id),
        Scope(channel_refs, channel_refs.c.workspace_id == workspace_id),
        Scope(import_ids, import_ids.c.workspace_id == workspace_id),
        Scope(files, files.c.workspace_id == workspace_id),
    ]
    for start in range(0, len(own_people), CHANNEL_BATCH):
        batch = list(own_people[start : start + CHANNEL_BATCH])
        found.append(Scope(avatars, avatars.c.user_id.in_(batch)))
    for start in range(0, len(channel_ids), CHANNEL_BATCH):
        batch = list(channel_ids[start : start + CHANNEL_BATCH])
        found += [
            Scope(table, table.c.channel_id.in_(batch))
            for table in (memberships, messages, reactions, pins, read_markers)
        ]
    return found


def leftovers(workspace_id: str) -> list[Scope]:
    """What else of the workspace a shard holds and a move does not copy: its log, tickets."""
    return [
        Scope(events, events.c.workspace_id == workspace_id),
        Scope(rtm_tickets, rtm_tickets.c.workspace_id == workspace_id),
    ]


async def channel_ids_txn(conn: Conn, workspace_id: str) -> list[str]:
    query = select(channels.c.id).where(channels.c.workspace_id == workspace_id)
    return sorted(await conn.scalars(query.order_by(channels.c.id)))


async def user_ids_txn(conn: Conn, workspace_id: str) -> list[str]:
    query = select(users.c.id).where(users.c.workspace_id == workspace_id)
    return sorted(await conn.scalars(query.order_by(users.c.id)))


async def count_txn(conn: Conn, scope: Scope) -> int:
    query = select(func.count()).select_from(scope.table).where(scope.condition)
    return int(await conn.scalar(query))


async def page_txn(conn: Conn, scope: Scope, after: Key | None, limit: int) -> list[Row]:
    """Up to `limit` whole rows of the scope after `after`, in primary-key order."""
    query = (
        select(scope.table)
        .where(scope.condition, scope.after(after))
        .order_by(*scope.key)
        .limit(limit)
    )
    return [tuple(row) for row in await conn.execute(query)]


async def rows_by_key_txn(conn: Conn, scope: Scope, keys: Sequence[Key]) -> dict[Key, Row]:
    """The scope's rows with these primary keys, by key."""
    if not keys:
        return {}
    query = select(scope.table).where(tuple_(*scope.key).in_(list(keys)))
    return {key_of(scope, tuple(row)): tuple(row) for row in await conn.execute(query)}


def key_of(scope: Scope, row: Row) -> Key:
    return tuple(row[at] for at in scope.key_positions)


async def insert_txn(conn: Conn, scope: Scope, rows: Sequence[Row]) -> None:
    if rows:
        names = [column.name for column in scope.table.columns]
        await conn.execute(
            insert(scope.table), [dict(zip(names, row, strict=True)) for row in rows]
        )


async def update_txn(conn: Conn, scope: Scope, key: Key, row: Row) -> None:
    names = [column.name for column in scope.table.columns]
    match = [column == value for column, value in zip(scope.key, key, strict=True)]
    await conn.execute(update(scope.table).where(*match).values(dict(zip(names, row, strict=True))))


async def partner_workspaces_txn(conn: Conn, workspace_id: str) -> set[str]:
    """The workspaces its channels are shared with, and those whose channels it is in."""
    shared = await conn.scalars(
        select(channels.c.shared_with).where(channels.c.workspace_id == workspace_id)
    )
    hosts = await conn.scalars(
        select(channel_refs.c.host_workspace_id).where(channel_refs.c.workspace_id == workspace_id)
    )
    partners = {other for teams in shared for other in (teams or ())} | set(hosts)
    return partners - {workspace_id}


async def delete_keys_txn(conn: Conn, scope: Scope, keys: Sequence[Key]) -> None:
    if keys:
        await conn.execute(delete(scope.table).where(tuple_(*scope.key).in_(list(keys))))


async def delete_scope_txn(conn: Conn, scope: Scope, limit: int) -> int:
    """Delete up to `limit` of the scope's rows; how many went."""
    keys = [key_of(scope, row) for row in await page_txn(conn, scope, None, limit)]
    await delete_keys_txn(conn, scope, keys)
    return len(keys)


def row_digest(row: Row) -> int:
    """A row's fingerprint, the same on SQLite and PostgreSQL for the same values."""
    encoded = orjson.dumps(list(row), default=_encode, option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.blake2b(encoded, digest_size=16).digest(), "big")


def _encode(value: object) -> object:
    if value is UNREADABLE:  # written as null on the target (storage/json_values.py)
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")
