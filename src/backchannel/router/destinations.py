"""Where a query goes, as a plain value (after Vitess's key.Destination).

Code that reads `router.read(ShardFor(channel_id))` says which shard it touches; a scatter
over every shard says `AllShards()` where a reviewer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Main:
    """The main DB: organisations, workspaces, seats, the shard map and the topology,
    credentials, tokens, webhooks, Slack Connect invitations."""


@dataclass(frozen=True)
class ShardFor:
    """The shard holding this keyed id (a workspace, user, bot or channel id)."""

    keyed_id: str


@dataclass(frozen=True)
class Shard:
    """A shard by name: for operators and migrations, a new workspace's first rows, and a
    shard's event log, which is named by its shard (the edge's catch-up, the relays).
    Request paths that start from an id say ShardFor."""

    name: str


@dataclass(frozen=True)
class AllShards:
    """Every shard, one after another: a scatter, which only `Router.scatter` takes."""


Destination = Main | ShardFor | Shard  # what `Router.read` and `Router.write` take
