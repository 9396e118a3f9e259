"""The router: every read and write names a destination, and the router finds its shard.

See docs/router.md.
"""

from backchannel.router.destinations import AllShards, Destination, Main, Shard, ShardFor
from backchannel.router.router import Router
from backchannel.router.transaction import CommitHook, Transaction

__all__ = [
    "AllShards",
    "CommitHook",
    "Destination",
    "Main",
    "Router",
    "Shard",
    "ShardFor",
    "Transaction",
]
