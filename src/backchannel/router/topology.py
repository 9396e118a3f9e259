"""The topology store: the shard map (DB shards and their roles, message-server shards, each
workspace's assignment) and the edge registry, versioned, changed only by compare-and-set,
and watched (docs/router.md, Topology).

Two stores, as Vitess has: the main DB (router/topology_main.py, the default) and etcd
(router/topology_etcd.py, `--topology etcd://host:port/prefix`). Both keep the same
promises; this module holds what they share: the interface, and the pure rules a change
must keep whatever the store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence

from backchannel.errors import BackchannelError, InvalidArgument
from backchannel.models import EdgeInfo, ShardMap
from backchannel.models.topology import (
    DropAssignment,
    PutAssignment,
    PutDbShard,
    PutMsShard,
    TopologyChange,
)

OnVersion = Callable[[int], Awaitable[None]]


class TopologyConflict(BackchannelError):
    """The topology's version moved on since it was read: read it again and retry."""


class TopologyStore(ABC):
    """Where the topology lives. `version` grows by one with every committed change."""

    description: str  # for operators: "main database" or the etcd URL (never a password)

    @abstractmethod
    async def load(self) -> ShardMap:
        """The whole shard map, at one version."""

    @abstractmethod
    async def version(self) -> int:
        """The current version (0: nothing recorded yet)."""

    @abstractmethod
    async def commit(self, expected: int, changes: Sequence[TopologyChange], now: float) -> int:
        """Apply `changes` if the version is still `expected`, as one atomic change; returns
        the new version. Raises TopologyConflict if another change came first."""

    @abstractmethod
    async def watch(self, on_version: OnVersion) -> None:
        """Call `on_version(version)` soon after every change, from any process, until
        cancelled (and once at start). Changes may be coalesced: the latest counts."""

    # -- the edge registry (docs/edge-cache.md, Routing): heartbeats, not versioned ----------

    @abstractmethod
    async def put_edge(self, edge: EdgeInfo) -> None:
        """Record the edge as it is now, under its URL (an edge restarted there replaces it)."""

    @abstractmethod
    async def delete_edge(self, url: str, started: float) -> None:
        """Forget the edge, unless an edge restarted at its URL has taken its place."""

    @abstractmethod
    async def forget_edges(self, silent_since: float) -> None:
        """Forget the edges that have not beaten since then (killed ones never unregister)."""

    @abstractmethod
    async def live_edges(self, now: float, heartbeats: float) -> list[EdgeInfo]:
        """The edges whose last heartbeat is younger than `heartbeats` of their own periods,
        in URL order."""

    @abstractmethod
    async def close(self) -> None:
        """Let go of the store's own connections."""


def apply_changes(current: ShardMap, changes: Iterable[TopologyChange]) -> ShardMap:
    """The shard map after `changes`, checked: every assignment names known shards."""
    db_shards = dict(current.db_shards)
    ms_shards = set(current.ms_shards)
    assignments = dict(current.by_keyspace)
    for change in changes:
        match change:
            case PutDbShard(shard):
                db_shards[shard.name] = shard
            case PutMsShard(name):
                ms_shards.add(name)
            case PutAssignment(assignment):
                assignments[assignment.keyspace] = assignment
            case DropAssignment(keyspace):
                assignments.pop(keyspace, None)
    for assignment in assignments.values():
        if assignment.db_shard not in db_shards:
            raise InvalidArgument(f"no DB shard named {assignment.db_shard!r}")
        if assignment.ms_shard not in ms_shards:
            raise InvalidArgument(f"no message-server shard named {assignment.ms_shard!r}")
    return ShardMap(
        version=current.version + 1,
        db_shards=dict(sorted(db_shards.items())),
        ms_shards=tuple(sorted(ms_shards)),
        by_keyspace=assignments,
    )


def least_loaded(shard_map: ShardMap) -> tuple[str, str]:
    """The DB shard and the message-server shard with the fewest workspaces (ties: by name)."""
    if not shard_map.db_shards or not shard_map.ms_shards:
        raise InvalidArgument("no shards are registered: run `backchannel db migrate`")
    assigned = shard_map.by_keyspace.values()
    db_load = Counter(a.db_shard for a in assigned)
    ms_load = Counter(a.ms_shard for a in assigned)
    db_shard = min(shard_map.db_shards, key=lambda name: (db_load[name], name))
    ms_shard = min(shard_map.ms_shards, key=lambda name: (ms_load[name], name))
    return db_shard, ms_shard


def next_keyspace(shard_map: ShardMap) -> int:
    """The highest keyspace ever assigned plus one (the compare-and-set keeps it unique)."""
    return max(shard_map.by_keyspace, default=0) + 1
