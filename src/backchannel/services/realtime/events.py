"""Events: appended to the shard's log inside the writer's transaction, published after commit.

Only services publish (docs/realtime.md). A write does

    async with ctx.router.write(ShardFor(channel_id)) as txn:
        ...change the data...
        await events.append_txn(ctx, txn, to_channel(workspace_id, channel_id, payload))

The transaction knows its shard, so the event goes to that shard's log and nowhere else
(an event of a workspace that lives elsewhere is refused at once), and it is published by
the transaction's commit hook (Zulip's send_event_on_commit): the event is durable exactly
when the change is, and nobody hears of a write that rolled back, whatever blocks enclose
the transaction. This module also has the reads an edge makes of the logs: the catch-up of
a socket that starts or resumes, and the filling of a gap in a stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

from backchannel.bus import events_subject, live_subject
from backchannel.bus.codec import encode_event
from backchannel.models import Event, Position
from backchannel.router import Shard, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.tenancy import shared_refs
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.storage.log import events as store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import shared_channels as shared_store
from backchannel.types import keyspace_of

log = logging.getLogger(__name__)

CATCH_UP_PAGE = 500
RELAY_PAGE = 500


class WrongLog(Exception):
    """An event appended in a transaction on a database other than its workspace's shard: a
    bug in the service that made it, so nothing is written."""


async def append_txn(ctx: ServiceContext, txn: Transaction, event: Event) -> Event:
    """Append `event` to the log of the shard `txn` writes to, and publish it once `txn` has
    committed; the event back, with its position. An event of a shared channel is marked
    with the channel's other workspaces (`relay_to`, or else the channel's as `txn` sees
    them), and relayed to their logs once committed."""
    stream = await _log_of(ctx, txn, event)
    relay_to = event.relay_to
    if relay_to is None and event.channel_id is not None:
        teams = await shared_store.shared_with_txn(txn, event.channel_id)
        relay_to = tuple(team.id for team in teams)
    stored = await store.append_event_txn(
        txn, stream, event, ctx.clock(), shared_with=relay_to or ()
    )
    outbox = _outbox(ctx, txn)
    outbox.durable.append(stored)
    outbox.relays.update(relay_to or ())
    return stored


def add_live_txn(ctx: ServiceContext, txn: Transaction, event: Event) -> None:
    """An ephemeral event (not kept, not replayed), published once `txn` has committed."""
    _outbox(ctx, txn).live.append(event)


async def _append_copy_txn(ctx: ServiceContext, txn: Transaction, event: Event) -> None:
    """Append a relayed copy: never relayed again."""
    stored = await store.append_event_txn(txn, await _log_of(ctx, txn, event), event, ctx.clock())
    _outbox(ctx, txn).durable.append(stored)


async def _log_of(ctx: ServiceContext, txn: Transaction, event: Event) -> str:
    """The log `txn` appends `event` to: its shard's, which must be the event's workspace's.
    One of the workspace `txn` was opened for is there by construction; any other is looked
    up in the shard map (in memory)."""
    if txn.shard is not None and (
        keyspace_of(event.workspace_id) == txn.keyspace
        or await workspace_log(ctx, event.workspace_id) == txn.shard
    ):
        return txn.shard
    where = "the main database" if txn.shard is None else f"shard {txn.shard}"
    raise WrongLog(
        f"a {event.type} event of {event.workspace_id} appended in a transaction on {where}, "
        "which does not hold its log"
    )


@dataclass
class Outbox:
    """The events of one write transaction: its commit hook publishes them."""

    ctx: ServiceContext
    durable: list[Event] = field(default_factory=list)
    live: list[Event] = field(default_factory=list)
    relays: set[str] = field(default_factory=set)  # workspaces that get copies

    async def __call__(self) -> None:
        for event in self.durable:
            assert event.position is not None
            await _publish(self.ctx, events_subject(event.position.stream), event)
        for event in self.live:
            await _publish(self.ctx, live_subject(event.workspace_id), event)
        if self.relays:
            await self._relay()

    async def _relay(self) -> None:
        # The copies are a courtesy of this write: the relay sweep makes them anyway, so a
        # failure here only delays them.
        sources = {event.position.stream for event in self.durable if event.position}
        targets = {await workspace_log(self.ctx, w) for w in self.relays}
        for source in sorted(sources):
            for target in sorted(targets):
                try:
                    await relay(self.ctx, source, target)
                except Exception as exc:
                    log.warning("could not relay %s to %s yet: %s", source, target, exc)


def _outbox(ctx: ServiceContext, txn: Transaction) -> Outbox:
    """The transaction's outbox: made, and hooked to its commit, by its first event."""
    outbox = txn.hook_of(Outbox)
    if outbox is None:
        outbox = Outbox(ctx)
        txn.on_commit(outbox)
    return outbox


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


# -- shared channels: relaying events between logs ----------------------------------------


async def start_relay(ctx: ServiceContext, source: str, target: str) -> None:
    """Make `target`'s log take in `source`'s shared-channel events from now on (before a
    channel of `source` is first shared with a workspace on `target`)."""
    head = await stream_head(ctx, source)
    async with ctx.router.write(Shard(target)) as conn:
        if await shared_store.relay_position_txn(conn, source, for_update=True) is None:
            position = shared_store.RelayPosition(head.epoch, head.seq)
            await shared_store.set_relay_position_txn(conn, source, position)


async def relay(ctx: ServiceContext, source: str, target: str) -> int:
    """Copy into `target`'s log the events of `source`'s log that concern workspaces on
    `target`, after where it got to; how many copies were made.

    Each copy is an event of the workspace it is for, so that workspace's sockets get it
    from their own shard's log as any other (docs/organisations.md). The position moves in
    the transaction that appends the copies: each event is copied once, in order, whoever
    relays it and whenever.
    """
    copied = 0
    while True:
        async with ctx.router.read(Shard(target)) as conn:
            start = await shared_store.relay_position_txn(conn, source)
        if start is None:
            return copied  # nothing of `source` was ever shared with `target`
        async with ctx.router.read(Shard(source)) as conn:
            state = await store.stream_state_txn(conn)
            after = start.seq if start.epoch == state.epoch else state.pruned_through
            page = await store.shared_events_txn(
                conn, source, state.epoch, after=after, limit=RELAY_PAGE
            )
        through = page[-1].event.position if page else None
        if through is None:
            return copied
        local = {
            workspace_id
            for item in page
            for workspace_id in item.shared_with
            if await workspace_log(ctx, workspace_id) == target
        }
        async with ctx.router.write(Shard(target)) as txn:
            now = await shared_store.relay_position_txn(txn, source, for_update=True)
            if now != start:
                continue  # someone else relayed meanwhile: read again from where they got
            for item in page:
                for workspace_id in item.shared_with:
                    if workspace_id in local:
                        copy = replace(item.event, workspace_id=workspace_id, position=None)
                        await _append_copy_txn(ctx, txn, copy)
                        copied += 1
            position = shared_store.RelayPosition(through.epoch, through.seq)
            await shared_store.set_relay_position_txn(txn, source, position)


async def relay_all(ctx: ServiceContext) -> int:
    """Relay every log into every shard that takes from it (the sweep that makes up for a
    process that died between a write and its relay)."""
    copied = 0
    # The cached map (the shard-map watch keeps it current): a sweep every few seconds must
    # not reload it from the main DB each time.
    for target in sorted(ctx.router.shard_map.current.db_shards):
        async with ctx.router.read(Shard(target)) as conn:
            sources = await shared_store.relay_sources_txn(conn)
        for source in sources:
            copied += await relay(ctx, source, target)
    return copied


# -- what an edge reads --------------------------------------------------------------------


async def stream_head(ctx: ServiceContext, stream: str) -> Position:
    async with ctx.router.read(Shard(stream)) as conn:
        state = await store.stream_state_txn(conn)
    return Position(stream, state.epoch, state.head)


async def read_stream(
    ctx: ServiceContext, since: Position, *, limit: int, workspace_id: str | None = None
) -> list[Event]:
    """Events of a log after `since` (of one workspace), at most `limit` (an edge filling a
    gap, an app's delivery)."""
    async with ctx.router.read(Shard(since.stream)) as conn:
        return await store.read_stream_txn(
            conn, since.stream, since.epoch, after=since.seq, limit=limit, workspace_id=workspace_id
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
    stream = await workspace_log(ctx, workspace_id)
    # Channels other workspaces share are in at their homes; their membership changes come
    # into this log as relayed copies, like any other.
    shared = await shared_refs.shared_channels_joined(ctx, workspace_id, user_id)
    async with ctx.router.read(Shard(stream)) as conn:
        own = await membership_store.member_channel_ids_txn(conn, workspace_id, user_id)
        before = frozenset(own) | shared
        state = await store.stream_state_txn(conn)
        head = Position(stream, state.epoch, state.head)
        if not _resumable(since, state):
            # From the head on: memberships read after it, so none of its changes is missed.
            now = await membership_store.member_channel_ids_txn(conn, workspace_id, user_id)
            channels = frozenset(now) | shared
            return CatchUp(limited=True, channels=channels, since=head, through=head)
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
