"""`backchannel admin move-workspace`: move a workspace, with the channels whose home it is,
to another DB shard while it is in use (what Vitess's MoveTables does for Slack).

1. Check: the workspace is serving, the target is another known shard, reachable, at the
   newest schema. Nothing has changed yet when a check fails.
2. Copy (state COPYING): every row of the workspace (storage/shard/moves.py) is copied, page by
   page, while reads and writes go on as usual on the old shard.
3. Freeze (state FROZEN): writes to the workspace wait (router.write); every process sees
   it within its watch's delay, and the mover waits `grace` seconds for that and for the
   writes already under way. Edges tell the workspace's sockets `team_migration_started`
   and rtm.connect answers `migration_in_progress`. Reads still go to the old shard.
4. Catch up: the rows that changed during the copy are copied again, those deleted are
   deleted; then both copies are counted and fingerprinted, table by table, and must agree.
5. Switch: one compare-and-set change of the topology points the workspace at the new
   shard (SERVING). The waiting writes go there; clients reconnect there.
6. Clean up: after `grace` again, the old copy is fingerprinted once more: if no late
   write reached it, it is deleted (with the workspace's old log and tickets); otherwise it
   is kept and the report says which tables changed.

A failure before the switch puts the workspace back to SERVING on its shard and deletes
the partial copy. The switch itself is one atomic change: there is no half-moved state.
What this relies on: every process's watch works (a process that saw neither the freeze
nor the switch would write to the old shard, which step 6 then detects).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import ShardMap, WorkspaceAssignment
from backchannel.models.topology import COPYING, FROZEN, SERVING, PutAssignment, TopologyChange
from backchannel.router import Shard
from backchannel.services.context import ServiceContext
from backchannel.services.realtime import events
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.storage import migrate
from backchannel.storage.shard import moves as store
from backchannel.storage.shard.moves import Key, Row, Scope
from backchannel.types import keyspace_of

PAGE = 1000
GRACE_SECONDS = 1.0
Progress = Callable[[str, int, int], None]  # (phase, done, total)
Checksums = dict[str, tuple[int, int]]  # table -> (rows, xor of the rows' fingerprints)


class MoveFailed(BackchannelError):
    """The move stopped; the workspace stays (or is back) on its shard."""


@dataclass
class MoveReport:
    workspace_id: str
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # per table, as verified
    copied: int = 0
    caught_up: int = 0  # rows copied again or deleted in the freeze
    frozen_seconds: float = 0.0
    seconds: float = 0.0
    cleaned_up: bool = False
    late_tables: list[str] = field(default_factory=list)  # changed on the old shard late


async def move_workspace(
    ctx: ServiceContext,
    workspace: str,
    target: str,
    *,
    progress: Progress | None = None,
    grace: float = GRACE_SECONDS,
    restart: bool = False,
) -> MoveReport:
    """Move it (see above). `restart`: a move of it was interrupted (its mover is gone) and
    left it copying or frozen: start again from the beginning."""
    started = time.monotonic()
    found = await find_workspace(ctx, workspace)
    assignment = await ctx.router.assignment(found.id)
    await _check_target(ctx, assignment, target, restart=restart)
    if assignment.state != SERVING:  # restarting: its rows are all still where it is
        await _change(ctx, assignment, replace(assignment, state=SERVING))
        assignment = replace(assignment, state=SERVING)
    report = MoveReport(found.id, assignment.db_shard, target)
    tell = progress or (lambda *_: None)
    await _set_state(ctx, assignment, COPYING)
    try:
        await _delete_all(ctx, target, found.id)  # what an interrupted move left there
        report.copied = await _copy(ctx, report, tell)
        await _set_state(ctx, replace(assignment, state=COPYING), FROZEN)
        frozen = time.monotonic()
        await asyncio.sleep(grace)  # every process sees the freeze; writes under way end
        scopes = await _scopes(ctx, report.source, found.id)
        report.caught_up = await _catch_up(ctx, report, scopes, tell)
        before = await _verify(ctx, report, scopes)
        await _switch(ctx, assignment, target)
        report.frozen_seconds = time.monotonic() - frozen
    except BaseException as exc:
        try:
            await _undo(ctx, assignment, target)
        except Exception:
            raise MoveFailed(
                f"{exc}; and {found.id} could not be put back to serving on "
                f"{assignment.db_shard}: run the move again with --restart"
            ) from exc
        raise
    await _relay_shared_channels(ctx, found.id, target)
    await asyncio.sleep(grace)  # processes that were a moment late have followed
    await _clean_up(ctx, report, scopes, before)
    report.seconds = time.monotonic() - started
    return report


# -- checks and states --------------------------------------------------------------------


async def _check_target(
    ctx: ServiceContext, assignment: WorkspaceAssignment, name: str, *, restart: bool
) -> None:
    shard_map = await ctx.router.shard_map.refresh()
    if name not in shard_map.db_shards:
        known = ", ".join(shard_map.db_shards) or "none"
        raise NotFound(f"no DB shard named {name!r}; this deployment has {known}")
    if name == assignment.db_shard:
        raise InvalidArgument(f"workspace {assignment.workspace_id} is already on {name}")
    if assignment.state != SERVING and not restart:
        raise InvalidArgument(
            f"workspace {assignment.workspace_id} is already being moved ({assignment.state}); "
            "if that move's process is gone, run again with --restart"
        )
    engines = ctx.router.pools.engines_for(shard_map.db_shards[name])
    try:
        revision = await migrate.current_revision(engines)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        raise MoveFailed(f"shard {name} cannot be reached: {reason}".strip()) from None
    if revision != migrate.head_revision("shard"):
        raise MoveFailed(f"shard {name} is not at the newest schema: run `backchannel db migrate`")


async def _set_state(ctx: ServiceContext, expected: WorkspaceAssignment, state: str) -> None:
    await _change(ctx, expected, replace(expected, state=state))


async def _switch(ctx: ServiceContext, assignment: WorkspaceAssignment, target: str) -> None:
    frozen = replace(assignment, state=FROZEN)
    await _change(ctx, frozen, replace(assignment, db_shard=target, state=SERVING))


async def _change(
    ctx: ServiceContext, expected: WorkspaceAssignment, new: WorkspaceAssignment
) -> None:
    """Change the assignment if it is still `expected` (another mover would have changed
    its state): compare-and-set on the topology, as every change."""

    def plan(current: ShardMap) -> Sequence[TopologyChange]:
        now = current.by_keyspace.get(expected.keyspace)
        if now != expected:
            raise MoveFailed(
                f"workspace {expected.workspace_id} changed meanwhile ({now}): move stopped"
            )
        return [PutAssignment(new)]

    await ctx.router.change_topology(plan)


async def _undo(ctx: ServiceContext, assignment: WorkspaceAssignment, target: str) -> None:
    """Before the switch: serve from the old shard again, drop the partial copy."""

    def plan(current: ShardMap) -> Sequence[TopologyChange]:
        now = current.by_keyspace.get(assignment.keyspace)
        if now is None or now.db_shard != assignment.db_shard or now.state == SERVING:
            return []
        return [PutAssignment(replace(assignment, state=SERVING))]

    now = (await ctx.router.change_topology(plan)).by_keyspace.get(assignment.keyspace)
    if now is not None and now.db_shard == target:
        return  # the switch was committed after all (what failed came after it)
    # The next move deletes it first anyway: an unreachable target must not hide the cause.
    with contextlib.suppress(Exception):
        await _delete_all(ctx, target, assignment.workspace_id)


# -- copying --------------------------------------------------------------------------------


async def _scopes(ctx: ServiceContext, shard: str, workspace_id: str) -> list[Scope]:
    async with ctx.router.read(Shard(shard)) as conn:
        channel_ids = await store.channel_ids_txn(conn, workspace_id)
        people = await store.user_ids_txn(conn, workspace_id)
    keyspace = keyspace_of(workspace_id)
    own = [person for person in people if keyspace_of(person) == keyspace]  # avatars: its own
    return store.scopes(workspace_id, channel_ids, own)


async def _copy(ctx: ServiceContext, report: MoveReport, tell: Progress) -> int:
    scopes = await _scopes(ctx, report.source, report.workspace_id)
    total = 0
    async with ctx.router.read(Shard(report.source)) as conn:
        for scope in scopes:
            total += await store.count_txn(conn, scope)
    copied = 0
    tell("copy", 0, total)
    for scope in scopes:
        async for page in _pages(ctx, report.source, scope):
            async with ctx.router.write(Shard(report.target)) as conn:
                await store.insert_txn(conn, scope, page)
            copied += len(page)
            tell("copy", copied, max(total, copied))
    return copied


async def _pages(ctx: ServiceContext, shard: str, scope: Scope) -> AsyncIterator[list[Row]]:
    """The scope's rows on that shard, a page per read transaction, in key order."""
    after: Key | None = None
    while True:
        async with ctx.router.read(Shard(shard)) as conn:
            page = await store.page_txn(conn, scope, after, PAGE)
        if not page:
            return
        yield page
        after = store.key_of(scope, page[-1])


async def _catch_up(
    ctx: ServiceContext, report: MoveReport, scopes: list[Scope], tell: Progress
) -> int:
    """Make the copy equal to the frozen original: rows changed or added since they were
    copied (parents first), then rows deleted meanwhile (children first)."""
    seen: dict[int, set[Key]] = {}
    changed = 0
    for index, scope in enumerate(scopes):
        seen[index] = set()
        async for page in _pages(ctx, report.source, scope):
            changed += await _bring_over(ctx, report.target, scope, page, seen[index])
        tell("catch up", index + 1, len(scopes))
    for index in reversed(range(len(scopes))):
        changed += await _drop_extras(ctx, report.target, scopes[index], seen[index])
    return changed


async def _bring_over(
    ctx: ServiceContext, target: str, scope: Scope, page: list[Row], seen: set[Key]
) -> int:
    keys = [store.key_of(scope, row) for row in page]
    seen.update(keys)
    async with ctx.router.read(Shard(target)) as conn:
        theirs = await store.rows_by_key_txn(conn, scope, keys)
    stale = [(key, row) for key, row in zip(keys, page, strict=True) if theirs.get(key) != row]
    if stale:
        async with ctx.router.write(Shard(target)) as conn:
            for key, row in stale:
                if key in theirs:  # an update, not a delete: its children point at it
                    await store.update_txn(conn, scope, key, row)
            await store.insert_txn(conn, scope, [row for key, row in stale if key not in theirs])
    return len(stale)


async def _drop_extras(ctx: ServiceContext, target: str, scope: Scope, seen: set[Key]) -> int:
    extras: list[Key] = []
    async for page in _pages(ctx, target, scope):
        keys = (store.key_of(scope, row) for row in page)
        extras += [key for key in keys if key not in seen]
    if extras:
        async with ctx.router.write(Shard(target)) as conn:
            await store.delete_keys_txn(conn, scope, extras)
    return len(extras)


# -- verifying, cleaning up -------------------------------------------------------------------


async def _checksums(ctx: ServiceContext, shard: str, scopes: list[Scope]) -> Checksums:
    sums: Checksums = {}
    for scope in scopes:
        table = str(scope.table.name)  # a quoted_name, which orjson refuses as a key
        rows, digest = sums.get(table, (0, 0))
        async for page in _pages(ctx, shard, scope):
            rows += len(page)
            for row in page:
                digest ^= store.row_digest(row)
        sums[table] = (rows, digest)
    return sums


async def _verify(ctx: ServiceContext, report: MoveReport, scopes: list[Scope]) -> Checksums:
    original = await _checksums(ctx, report.source, scopes)
    copy = await _checksums(ctx, report.target, scopes)
    differ = sorted(table for table in original if original[table] != copy.get(table))
    if differ:
        raise MoveFailed(
            f"the copy of {report.workspace_id} on {report.target} does not match the original "
            f"({', '.join(differ)}): the workspace stays on {report.source}"
        )
    report.rows = {table: rows for table, (rows, _) in original.items()}
    return original


async def _clean_up(
    ctx: ServiceContext, report: MoveReport, scopes: list[Scope], frozen: Checksums
) -> None:
    now = await _checksums(ctx, report.source, scopes)
    report.late_tables = sorted(table for table in frozen if frozen[table] != now.get(table))
    if report.late_tables:
        return  # a write reached the old copy after the freeze: keep it for the operator
    await _delete_all(ctx, report.source, report.workspace_id)
    report.cleaned_up = True


async def _delete_all(ctx: ServiceContext, shard: str, workspace_id: str) -> None:
    """Every row of the workspace on that shard, children first, in pages."""
    doomed = await _scopes(ctx, shard, workspace_id) + store.leftovers(workspace_id)
    for scope in reversed(doomed):
        while True:
            async with ctx.router.write(Shard(shard)) as conn:
                if await store.delete_scope_txn(conn, scope, PAGE) < PAGE:
                    break


async def _relay_shared_channels(ctx: ServiceContext, workspace_id: str, target: str) -> None:
    """Its shared channels' events now start from the new shard's log, and those of the
    channels it is a guest in must reach that log: relays both ways with each partner."""
    async with ctx.router.read(Shard(target)) as conn:
        partners = await store.partner_workspaces_txn(conn, workspace_id)
    shards = set()
    for partner in partners:
        with contextlib.suppress(NotFound):  # a workspace deleted meanwhile
            shards.add((await ctx.router.assignment(partner)).db_shard)
    for other in sorted(shards - {target}):
        await events.start_relay(ctx, target, other)
        await events.start_relay(ctx, other, target)
