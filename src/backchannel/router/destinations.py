"""Where a query goes, as a plain value (after Vitess's key.Destination).

Code that reads `router.read(ShardFor(channel_id))` says which shard it touches; a scatter
over every shard says `AllShards()` where a reviewer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Main:
    """The main DB: organisations, workspaces, the shard map, credentials, tokens."""


@dataclass(frozen=True)
class ShardFor:
    """The shard holding this keyed id (a workspace, user, bot or channel id)."""

    keyed_id: str


@dataclass(frozen=True)
class Shard:
    """A shard by name: for operators and migrations, not for request paths."""

    name: str


@dataclass(frozen=True)
class AllShards:
    """Every shard, one after another: a scatter."""


Destination = Main | ShardFor | Shard
