"""The shard map: which database shard and message-server shard each workspace lives on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DbShard:
    name: str
    url: str  # as recorded in the main DB; relative SQLite paths are under the data dir
    role: str = "primary"


@dataclass(frozen=True)
class WorkspaceAssignment:
    workspace_id: str
    keyspace: int
    db_shard: str
    ms_shard: str


@dataclass(frozen=True)
class ShardMap:
    """An immutable snapshot of the topology at one version."""

    version: int
    db_shards: dict[str, DbShard] = field(default_factory=dict)
    # Message-server shard -> websocket base URL of the edge serving it (None: no edge yet).
    ms_urls: dict[str, str | None] = field(default_factory=dict)
    by_keyspace: dict[int, WorkspaceAssignment] = field(default_factory=dict)

    @property
    def ms_shards(self) -> tuple[str, ...]:
        """The message-server shards' names, in name order."""
        return tuple(sorted(self.ms_urls))

    def workspaces_on(self, db_shard: str) -> list[WorkspaceAssignment]:
        return [a for a in self.by_keyspace.values() if a.db_shard == db_shard]
