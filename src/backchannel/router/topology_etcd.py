"""The topology in etcd (`--topology etcd://host:port/prefix`), as Vitess keeps its own.

Under the prefix (default /backchannel):

    topology/version              the version, a decimal string
    topology/db_shards/<name>     {"url", "role", "replica_url"}
    topology/ms_shards/<name>     {}
    topology/keyspaces/<n>        {"workspace_id", "db_shard", "ms_shard", "state"}
    edges/<quoted url>            {"ms_shards", "started", "heartbeat", "heartbeat_seconds"}

A change is one etcd transaction: if the version key still holds the expected version, put
the changed keys and the next version. The shard map is read with one range request (one
revision, so one version). The watch is etcd's own, on the version key.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aetcd
import orjson

from backchannel.errors import ConfigError, StorageUnavailable
from backchannel.models import DbShard, EdgeInfo, ShardMap, WorkspaceAssignment
from backchannel.models.topology import (
    DropAssignment,
    PutAssignment,
    PutDbShard,
    PutMsShard,
    TopologyChange,
)
from backchannel.router.topology import OnVersion, TopologyConflict, TopologyStore
from backchannel.storage.main.edges import edge_from_record, edge_record

SCHEME = "etcd"
DEFAULT_PREFIX = "/backchannel"
DEFAULT_PORT = 2379
RECONNECT_SECONDS = 1.0
TIMEOUT_SECONDS = 5.0


def parse_etcd_url(url: str) -> tuple[str, int, str]:
    """etcd://host:port/prefix -> (host, port, prefix)."""
    parts = urlsplit(url)
    if parts.scheme != SCHEME or not parts.hostname:
        raise ConfigError(f"expected a topology like etcd://host:2379/prefix, got {url!r}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ConfigError(f"bad port in topology URL {url!r}") from None
    prefix = parts.path.rstrip("/") or DEFAULT_PREFIX
    return parts.hostname, port, prefix


class EtcdTopology(TopologyStore):
    def __init__(self, url: str) -> None:
        host, port, prefix = parse_etcd_url(url)
        self.description = f"etcd://{host}:{port}{prefix}"
        self._client = aetcd.Client(host=host, port=port, timeout=TIMEOUT_SECONDS)
        self._topology = f"{prefix}/topology/"
        self._version_key = f"{prefix}/topology/version".encode()
        self._edges = f"{prefix}/edges/"

    def _key(self, *parts: object) -> bytes:
        return (self._topology + "/".join(str(part) for part in parts)).encode()

    async def _call(self, what: str, call: Any) -> Any:
        try:
            return await call
        except aetcd.exceptions.ClientError as exc:
            raise StorageUnavailable(
                f"the topology store {self.description} is unavailable ({what}): "
                f"{type(exc).__name__}"
            ) from exc

    # -- the shard map --------------------------------------------------------------------

    async def load(self) -> ShardMap:
        response = await self._call("load", self._client.get_prefix(self._topology.encode()))
        version, shards, ms, assignments = 0, {}, [], {}
        for kv in response:
            kind, _, name = kv.key.decode()[len(self._topology) :].partition("/")
            if kind == "version":
                version = int(kv.value)
                continue
            value = orjson.loads(kv.value)
            if kind == "db_shards":
                shards[name] = DbShard(name, value["url"], value["role"], value["replica_url"])
            elif kind == "ms_shards":
                ms.append(name)
            elif kind == "keyspaces":
                assignments[int(name)] = WorkspaceAssignment(keyspace=int(name), **value)
        return ShardMap(
            version=version,
            db_shards=dict(sorted(shards.items())),
            ms_shards=tuple(sorted(ms)),
            by_keyspace=assignments,
        )

    async def version(self) -> int:
        found = await self._call("version", self._client.get(self._version_key))
        return 0 if found is None else int(found.value)

    async def commit(self, expected: int, changes: Sequence[TopologyChange], now: float) -> int:
        txn = self._client.transactions
        if expected == 0:
            compare = [txn.version(self._version_key) == 0]  # the key does not exist yet
        else:
            compare = [txn.value(self._version_key) == str(expected).encode()]
        success = [self._operation(change) for change in changes]
        success.append(txn.put(self._version_key, str(expected + 1).encode()))
        committed, _ = await self._call(
            "commit", self._client.transaction(compare=compare, success=success, failure=[])
        )
        if not committed:
            raise TopologyConflict(f"the topology is no longer at version {expected}")
        return expected + 1

    def _operation(self, change: TopologyChange) -> Any:
        txn = self._client.transactions
        match change:
            case PutDbShard(shard):
                value = {"url": shard.url, "role": shard.role, "replica_url": shard.replica_url}
                return txn.put(self._key("db_shards", shard.name), orjson.dumps(value))
            case PutMsShard(name):
                return txn.put(self._key("ms_shards", name), b"{}")
            case PutAssignment(a):
                value = {
                    "workspace_id": a.workspace_id,
                    "db_shard": a.db_shard,
                    "ms_shard": a.ms_shard,
                    "state": a.state,
                }
                return txn.put(self._key("keyspaces", a.keyspace), orjson.dumps(value))
            case DropAssignment(keyspace):
                return txn.delete(self._key("keyspaces", keyspace))
        raise TypeError(f"not a topology change: {change!r}")

    async def watch(self, on_version: OnVersion) -> None:
        while True:
            with contextlib.suppress(Exception):
                events = await self._client.watch(self._version_key)
                # Whatever changed while no watch was open, then each change as it comes.
                await on_version(await self.version())
                async for event in events:
                    if event.kv is not None and event.kv.value:
                        await on_version(int(event.kv.value))
            await asyncio.sleep(RECONNECT_SECONDS)

    # -- the edge registry ----------------------------------------------------------------

    def _edge_key(self, url: str) -> bytes:
        return (self._edges + quote(url, safe="")).encode()

    async def put_edge(self, edge: EdgeInfo) -> None:
        put = self._client.put(self._edge_key(edge.url), orjson.dumps(edge_record(edge)))
        await self._call("put edge", put)

    async def _edges_with_revisions(self) -> list[tuple[EdgeInfo, int]]:
        response = await self._call("edges", self._client.get_prefix(self._edges.encode()))
        found = []
        for kv in response:
            url = unquote(kv.key.decode()[len(self._edges) :])
            found.append((edge_from_record(url, orjson.loads(kv.value)), kv.mod_revision))
        return found

    async def _delete_if_unchanged(self, url: str, revision: int) -> None:
        txn = self._client.transactions
        key = self._edge_key(url)
        await self._call(
            "delete edge",
            self._client.transaction(
                compare=[txn.mod(key) == revision],
                success=[txn.delete(key)],
                failure=[],
            ),
        )

    async def delete_edge(self, url: str, started: float) -> None:
        for edge, revision in await self._edges_with_revisions():
            if edge.url == url and edge.started == started:
                await self._delete_if_unchanged(url, revision)

    async def forget_edges(self, silent_since: float) -> None:
        for edge, revision in await self._edges_with_revisions():
            if edge.heartbeat < silent_since:
                await self._delete_if_unchanged(edge.url, revision)

    async def live_edges(self, now: float, heartbeats: float) -> list[EdgeInfo]:
        live = [
            edge
            for edge, _ in await self._edges_with_revisions()
            if edge.heartbeat + edge.heartbeat_seconds * heartbeats > now
        ]
        return sorted(live, key=lambda edge: edge.url)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.close()
