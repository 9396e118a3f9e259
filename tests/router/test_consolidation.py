"""Query consolidation (router/consolidation.py): identical reads in flight on one shard run
once, and every caller gets the result; different reads, and reads one after another, each
run. On SQLite and PostgreSQL, with the statements the database received counted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backchannel.errors import NotFound
from backchannel.services import ServiceContext
from backchannel.services.messaging import history, messages
from backchannel.services.people import directory
from tests.conftest import Acme, dev_channel

READERS = 20


@contextmanager
def statements_about(table: str) -> Iterator[list[str]]:
    """The SELECTs from `table` that any database receives meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def test_identical_reads_in_flight_run_once(ctx: ServiceContext, acme: Acme) -> None:
    bob = acme.bob.user
    # Once first, so that no caller of the burst stops to learn the workspace's shard: the
    # burst's callers then all arrive while its one read is in flight.
    await directory.get_user(ctx, acme.workspace.id, bob.id)
    before = ctx.router.consolidator.stats
    executed, shared = before.executed, before.shared
    with statements_about("users") as seen:
        found = await asyncio.gather(
            *(directory.get_user(ctx, acme.workspace.id, bob.id) for _ in range(READERS))
        )
    assert {user.id for user in found} == {bob.id} and len(found) == READERS
    assert len(seen) == 1
    stats = ctx.router.consolidator.stats
    assert (stats.executed - executed, stats.shared - shared) == (1, READERS - 1)


async def test_a_burst_of_history_loads_costs_one_query(ctx: ServiceContext, acme: Acme) -> None:
    dev = await dev_channel(ctx, acme)
    workspace, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text="lunch?"
    )
    with statements_about("messages") as seen:
        pages = await asyncio.gather(
            *(
                history.channel_history(
                    ctx, workspace_id=workspace, user_id=reader, channel_id=dev, limit=10
                )
                for reader in [alice, bob] * (READERS // 2)
            )
        )
    assert {page.messages[0].text for page in pages} == {"lunch?"}
    # Each reader's access check (its own, on memberships) ends when it ends, and only the
    # page reads that are in flight together are one: fewer page reads than readers, and
    # one on SQLite, where nothing waits.
    assert 1 <= len(seen) < READERS


async def test_different_or_successive_reads_each_run(ctx: ServiceContext, acme: Acme) -> None:
    executed = ctx.router.consolidator.stats.executed
    alice, bob = acme.alice.user.id, acme.bob.user.id
    await asyncio.gather(
        directory.get_user(ctx, acme.workspace.id, alice),
        directory.get_user(ctx, acme.workspace.id, bob),
    )
    await directory.get_user(ctx, acme.workspace.id, alice)  # nothing is kept afterwards
    assert ctx.router.consolidator.stats.executed - executed == 3


async def test_a_failure_reaches_every_caller(ctx: ServiceContext, acme: Acme) -> None:
    results = await asyncio.gather(
        *(directory.get_user(ctx, acme.workspace.id, "U0NOBODY00") for _ in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(result, NotFound) for result in results)


async def test_a_caller_giving_up_leaves_the_read_to_the_others(
    ctx: ServiceContext, acme: Acme
) -> None:
    bob = acme.bob.user.id
    first = asyncio.ensure_future(directory.get_user(ctx, acme.workspace.id, bob))
    second = asyncio.ensure_future(directory.get_user(ctx, acme.workspace.id, bob))
    await asyncio.sleep(0)  # both are waiting on the one read
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (await second).id == bob
