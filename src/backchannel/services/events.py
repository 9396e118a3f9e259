"""Events: appended to the shard's log inside the writer's transaction, published after commit.

Only services publish (docs/realtime.md). A write does

    async with publishing(ctx) as outbox:
        async with ctx.router.write(ShardFor(channel_id)) as conn:
            ...change the data...
            await outbox.append_txn(conn, to_channel(workspace_id, channel_id, payload))

so the event is durable exactly when the change is, and nobody hears of a write that
rolled back. This module also has the reads an edge makes of the logs: the catch-up of a
socket that starts or resumes, and the filling of a gap in a stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from backchannel.bus import events_subject, live_subject
from backchannel.bus.codec import encode_event
from backchannel.models import Event, Position
from backchannel.router import Shard
from backchannel.services.context import ServiceContext
from backchannel.storage import channels as channel_store
from backchannel.storage import events as store
from backchannel.storage.connection import Conn

log = logging.getLogger(__name__)

CATCH_UP_PAGE = 500


@dataclass
class Outbox:
    """The events of one write, published once the write has committed."""

    ctx: ServiceContext
    durable: list[Event] = field(default_factory=list)
    live: list[Event] = field(default_factory=list)

    async def append_txn(self, conn: Conn, event: Event) -> Event:
        """Append to the log of the shard `conn` writes to (the workspace's own shard)."""
        stream = (await self.ctx.router.assignment(event.workspace_id)).db_shard
        stored = await store.append_event_txn(conn, stream, event, self.ctx.clock())
        self.durable.append(stored)
        return stored

    def add_live(self, event: Event) -> None:
        """An ephemeral event (not kept, not replayed), published with the durable ones."""
        self.live.append(event)

    async def publish(self) -> None:
        for event in self.durable:
            assert event.position is not None
            await _publish(self.ctx, events_subject(event.position.stream), event)
        for event in self.live:
            await _publish(self.ctx, live_subject(event.workspace_id), event)


@asynccontextmanager
async def publishing(ctx: ServiceContext) -> AsyncIterator[Outbox]:
    outbox = Outbox(ctx)
    yield outbox
    await outbox.publish()


async def publish_live(ctx: ServiceContext, event: Event) -> None:
    """Publish an ephemeral event now (typing, presence): there is no write to wait for."""
    await _publish(ctx, live_subject(event.workspace_id), event)


async def _publish(ctx: ServiceContext, subject: str, event: Event) -> None:
    # The write has committed: a bus that is down must not turn it into an error. Edges
    # find a durable event missing from its stream and read it from the log.
    try:
        await ctx.bus.publish(subject, encode_event(event))
    except Exception as exc:
        log.warning("could not publish %s on %s: %s", event.type, subject, exc)


# -- what an edge reads --------------------------------------------------------------------


async def stream_head(ctx: ServiceContext, stream: str) -> Position:
    async with ctx.router.read(Shard(stream)) as conn:
        state = await store.stream_state_txn(conn)
    return Position(stream, state.epoch, state.head)


async def read_stream(ctx: ServiceContext, since: Position, *, limit: int) -> list[Event]:
    """Events of a log after `since`, at most `limit` (an edge filling a gap)."""
    async with ctx.router.read(Shard(since.stream)) as conn:
        return await store.read_stream_txn(
            conn, since.stream, since.epoch, after=since.seq, limit=limit
        )


@dataclass(frozen=True)
class CatchUp:
    """Where a socket starts (`since`) and the user's memberships there; `missed_events`
    gives what came between it and `through`, a page at a time. `limited`: what the socket
    missed is partly gone (retention, another log), so it starts at the head instead and
    the client catches up through conversations.history."""

    limited: bool
    channels: frozenset[str]
    since: Position
    through: Position
    relevant: tuple[str, ...] = ()  # every channel the user was in at some point between


async def catch_up(
    ctx: ServiceContext, workspace_id: str, user_id: str, since: Position
) -> CatchUp:
    """How far the user's log has gone since `since`, and their memberships then.

    Those memberships are worked out from today's and the membership changes in between,
    so a channel joined meanwhile shows only what followed the join, and one left meanwhile
    what came before the leave. Today's are read before the head: every change they do not
    show is then among the changes read, whatever the isolation level.
    """
    stream = (await ctx.router.assignment(workspace_id)).db_shard
    async with ctx.router.read(Shard(stream)) as conn:
        before = frozenset(await channel_store.member_channel_ids_txn(conn, workspace_id, user_id))
        state = await store.stream_state_txn(conn)
        head = Position(stream, state.epoch, state.head)
        if not _resumable(since, state):
            # From the head on: memberships read after it, so none of its changes is missed.
            now = await channel_store.member_channel_ids_txn(conn, workspace_id, user_id)
            return CatchUp(limited=True, channels=frozenset(now), since=head, through=head)
        changes = await store.membership_changes_txn(
            conn, user_id, after=since.seq, through=state.head
        )
    then = _channels_before(before, changes)
    relevant = tuple(sorted(then | {channel for channel, _ in changes}))
    return CatchUp(False, then, since, head, relevant)


async def missed_events(
    ctx: ServiceContext, caught: CatchUp, workspace_id: str, user_id: str
) -> AsyncIterator[list[Event]]:
    """The events between `caught.since` and `caught.through` that may concern the user, in
    order, a page per transaction (a day's absence can be many). The log below its head
    only ever loses its oldest events, so the pages agree with each other."""
    through, after = caught.through, caught.since.seq
    while after < through.seq:
        async with ctx.router.read(Shard(through.stream)) as conn:
            page = await store.events_for_txn(
                conn,
                through.stream,
                through.epoch,
                workspace_id=workspace_id,
                user_id=user_id,
                channels=caught.relevant,
                after=after,
                through=through.seq,
                limit=CATCH_UP_PAGE,
            )
        if page:
            yield page
        if len(page) < CATCH_UP_PAGE or page[-1].position is None:
            return
        after = page[-1].position.seq


def _resumable(since: Position, state: store.StreamState) -> bool:
    return since.epoch == state.epoch and state.pruned_through <= since.seq <= state.head


def _channels_before(now: frozenset[str], changes: list[tuple[str, str]]) -> frozenset[str]:
    """Undo membership changes: a channel's first change says whether it was a member."""
    first: dict[str, str] = {}
    for channel, change in changes:
        first.setdefault(channel, change)
    joined_since = {channel for channel, change in first.items() if change == "join"}
    left_since = {channel for channel, change in first.items() if change == "leave"}
    return frozenset((now - joined_since) | left_since)


async def prune(ctx: ServiceContext, *, retention_seconds: float) -> int:
    """Drop events older than the retention from every shard's log; how many went.

    A shard with nothing to drop costs one read: no write lock is taken for nothing."""
    cutoff = ctx.clock() - retention_seconds
    removed = 0
    for name in sorted((await ctx.router.shard_map.refresh()).db_shards):
        async with ctx.router.read(Shard(name)) as conn:
            last = await store.last_expired_txn(conn, created_before=cutoff)
        if last is not None:
            async with ctx.router.write(Shard(name)) as conn:
                removed += await store.prune_events_txn(conn, through=last)
    return removed
