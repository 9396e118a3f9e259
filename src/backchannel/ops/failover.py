"""A PostgreSQL shard's streaming replica: recording it, and promoting it to be the shard's
primary (docs/router.md, Failover)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from sqlalchemy.engine import URL

from backchannel.errors import BackchannelError, InvalidArgument, NotFound, StorageUnavailable
from backchannel.models import DbShard, ShardMap
from backchannel.models.topology import PutDbShard, TopologyChange
from backchannel.services.context import ServiceContext
from backchannel.storage.engines import replication
from backchannel.storage.engines.engine import is_sqlite, parse_database_url, redact

CONNECT_SECONDS = 5.0
CATCH_UP_SECONDS = 30.0  # for the replica to replay what the old primary wrote
PROMOTE_SECONDS = 60
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class FailedOver:
    shard: DbShard  # as it now is: its URL is the promoted replica's
    version: int  # the shard map's version that says so
    fenced: bool  # whether the old primary could be reached and made read-only


async def set_replica(ctx: ServiceContext, shard: str, url: str) -> DbShard:
    """Record `url` as the streaming replica of `shard`, once it has been checked to be one:
    a PostgreSQL server in recovery, cloned from the shard's server (same system
    identifier), serving the shard's database."""
    found = _postgres_shard(await ctx.router.shard_map.refresh(), shard)
    primary, replica = parse_database_url(found.url), parse_database_url(url)
    if is_sqlite(replica):
        raise InvalidArgument(f"a replica is a postgresql:// URL, got {redact(url)}")
    if replica.database != primary.database:
        raise InvalidArgument(
            f"{redact(url)} names database {replica.database!r}, but shard {shard}'s database "
            f"is {primary.database!r}"
        )
    async with replication.session(replica, f"replica of shard {shard}", CONNECT_SECONDS) as conn:
        if not await replication.in_recovery(conn):
            raise InvalidArgument(f"{redact(url)} is not a replica: it is not in recovery")
        cloned_from = await replication.system_identifier(conn)
    async with replication.session(primary, f"shard {shard}", CONNECT_SECONDS) as conn:
        if await replication.system_identifier(conn) != cloned_from:
            raise InvalidArgument(
                f"{redact(url)} is not a replica of shard {shard}: another server's"
            )

    def plan(current: ShardMap) -> list[TopologyChange]:
        return [PutDbShard(replace(_postgres_shard(current, shard), replica_url=url))]

    return (await ctx.router.change_topology(plan)).db_shards[shard]


async def failover(ctx: ServiceContext, shard: str) -> FailedOver:
    """Promote `shard`'s replica and make it the shard's primary in the shard map.

    Refused, with nothing changed, when the shard is unknown, is SQLite, has no replica, or
    its replica is unreachable, no longer in recovery, or would hold every commit once
    promoted (synchronous_standby_names set, no standby of its own). Then:

    1. If the old primary can be reached, it is fenced: its database refuses writes in new
       sessions (`ALTER DATABASE ... SET default_transaction_read_only = on`, this database
       only), its other sessions are terminated (their open transactions roll back), and
       the replica replays the old primary's log up to its current position. If the
       replica does not catch up within CATCH_UP_SECONDS the fence is lifted, nothing else
       changes. An old primary that cannot be reached (the usual reason to fail over) is
       left alone: with synchronous replication every commit it acknowledged is on the
       replica already.
    2. The replica is promoted (`pg_promote`), checked to be out of recovery, and the fence
       that came across with the log is lifted there.
    3. The shard map names the replica as the shard's primary, with no replica; every
       process follows within a second, and its pool reconnects to the new URL.
    4. The old primary's sessions are terminated once more, if it can be reached: a commit
       that slipped past the fence and waits there for the (now promoted) replica gets an
       error, never an acknowledgement.
    """
    found = _postgres_shard(await ctx.router.shard_map.refresh(), shard)
    if found.replica_url is None:
        raise InvalidArgument(
            f"shard {shard} has no replica: record one first with "
            f"`backchannel admin set-replica {shard} URL`"
        )
    primary, replica = parse_database_url(found.url), parse_database_url(found.replica_url)
    async with replication.session(replica, f"replica of shard {shard}", CONNECT_SECONDS) as conn:
        await _check_standby(conn, shard, found.replica_url)
        position = await _fence(primary, shard)
        try:
            if position is not None:
                await _catch_up(conn, position, shard)
            await _promote(conn, shard)
        except BaseException:
            if position is not None:  # the shard map still names the old primary: reopen it
                await _lift_fence(primary, shard)
            raise
    promoted = DbShard(shard, url=found.replica_url, role="primary", replica_url=None)
    version = await _switch(ctx, found, promoted)
    await _end_sessions(primary, shard)  # even unfenced: it may only have been out of reach
    return FailedOver(promoted, version, fenced=position is not None)


def _postgres_shard(shard_map: ShardMap, name: str) -> DbShard:
    shard = shard_map.db_shards.get(name)
    if shard is None:
        raise NotFound(f"no shard named {name!r}")
    if is_sqlite(parse_database_url(shard.url)):
        raise InvalidArgument(
            f"shard {name} is a SQLite file: only a PostgreSQL shard can have a replica"
        )
    return shard


async def _check_standby(conn: replication.Session, shard: str, url: str) -> None:
    if not await replication.in_recovery(conn):
        raise InvalidArgument(
            f"the replica of shard {shard} ({redact(url)}) is not in recovery: it is no "
            "longer a replica, nothing was changed"
        )
    if await replication.lacks_its_standby(conn):
        raise InvalidArgument(
            f"the replica of shard {shard} has synchronous_standby_names set and no standby "
            "of its own: promoted, it would hold every commit; clear the setting on it "
            "first, nothing was changed"
        )


async def _fence(primary: URL, shard: str) -> str | None:
    """Step 1 of `failover` on the old primary: its log position once fenced, or None if it
    cannot be reached."""
    try:
        async with replication.session(primary, f"shard {shard}", CONNECT_SECONDS) as conn:
            await replication.set_read_only(conn, True)
            await replication.end_other_sessions(conn)
            return await replication.current_lsn(conn)
    except StorageUnavailable:
        return None
    except BaseException:  # refused half-way (a missing privilege): undo what was done
        await _lift_fence(primary, shard)
        raise


async def _catch_up(standby: replication.Session, position: str, shard: str) -> None:
    try:
        async with asyncio.timeout(CATCH_UP_SECONDS):
            while True:
                if await replication.has_replayed(standby, position):
                    return
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise StorageUnavailable(
            f"the replica of shard {shard} did not replay its primary's log within "
            f"{CATCH_UP_SECONDS:g} s: nothing was changed"
        ) from None


async def _lift_fence(primary: URL, shard: str) -> None:
    """Undo step 1."""
    await _on_old_primary(primary, shard, lambda conn: replication.set_read_only(conn, False))


async def _promote(standby: replication.Session, shard: str) -> None:
    if not await replication.promote(standby, PROMOTE_SECONDS) or await replication.in_recovery(
        standby
    ):
        raise StorageUnavailable(
            f"the replica of shard {shard} did not finish its promotion within "
            f"{PROMOTE_SECONDS} s: the shard map still names the old primary"
        )
    await replication.set_read_only(standby, False)  # the fence came across with the log


async def _switch(ctx: ServiceContext, before: DbShard, promoted: DbShard) -> int:
    """Step 3 of `failover`: the shard map's new version."""

    def plan(current: ShardMap) -> list[TopologyChange]:
        if current.db_shards.get(before.name) != before:
            raise InvalidArgument(f"shard {before.name} was changed by someone else meanwhile")
        return [PutDbShard(promoted)]

    try:
        return (await ctx.router.change_topology(plan)).version
    except BackchannelError as exc:
        raise type(exc)(
            f"the replica of shard {before.name} ({redact(promoted.url)}) was promoted, but "
            f"the shard map still names the old primary: {exc.message}"
        ) from None


async def _end_sessions(primary: URL, shard: str) -> None:
    """Step 4 of `failover`."""
    await _on_old_primary(primary, shard, replication.end_other_sessions)


async def _on_old_primary(
    primary: URL, shard: str, work: Callable[[replication.Session], Awaitable[object]]
) -> None:
    """`work` on the old primary, best effort: one that went away has nothing to undo or
    end."""
    with contextlib.suppress(BackchannelError):
        async with replication.session(primary, f"shard {shard}", CONNECT_SECONDS) as conn:
            await work(conn)
