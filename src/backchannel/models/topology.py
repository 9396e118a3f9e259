"""The shard map: which database shard and message-server shard each workspace lives on;
the edges that serve the message-server shards."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DbShard:
    name: str
    url: str  # the primary's, as recorded; relative SQLite paths are under the data dir
    role: str = "primary"
    replica_url: str | None = None  # a streaming replica, promoted by `admin failover`


# A workspace's state (`admin move-workspace`, ops/moves.py):
SERVING = "serving"
COPYING = "copying"  # its rows are being copied to another DB shard; all works as usual
FROZEN = "frozen"  # the last of the copy: writes wait, sockets are told to come back later


@dataclass(frozen=True)
class WorkspaceAssignment:
    workspace_id: str
    keyspace: int
    db_shard: str
    ms_shard: str
    state: str = SERVING


@dataclass(frozen=True)
class ShardMap:
    """An immutable snapshot of the topology at one version."""

    version: int
    db_shards: dict[str, DbShard] = field(default_factory=dict)
    ms_shards: tuple[str, ...] = ()  # the message-server shards' names, in name order
    by_keyspace: dict[int, WorkspaceAssignment] = field(default_factory=dict)

    def workspaces_on(self, db_shard: str) -> list[WorkspaceAssignment]:
        return [a for a in self.by_keyspace.values() if a.db_shard == db_shard]


@dataclass(frozen=True)
class EdgeInfo:
    """An edge process as registered in the main DB (docs/edge-cache.md, Routing). Its URL
    is its key: an edge restarted at the same URL is the same edge."""

    url: str  # the websocket base URL clients are sent to
    ms_shards: frozenset[str] | None  # the message-server shards it serves; None: all
    started: float
    heartbeat: float  # when it last said it was alive
    heartbeat_seconds: float  # how often it says so

    def serves(self, ms_shard: str) -> bool:
        return self.ms_shards is None or ms_shard in self.ms_shards


# -- changes: the topology changes only by a list of these, committed by compare-and-set ------


@dataclass(frozen=True)
class PutDbShard:
    """Add a DB shard, or replace one of the same name (its URL, role or replica)."""

    shard: DbShard


@dataclass(frozen=True)
class PutMsShard:
    name: str


@dataclass(frozen=True)
class PutAssignment:
    """Assign a keyspace (a new workspace), or change its assignment (a move)."""

    assignment: WorkspaceAssignment


@dataclass(frozen=True)
class DropAssignment:
    keyspace: int


TopologyChange = PutDbShard | PutMsShard | PutAssignment | DropAssignment
