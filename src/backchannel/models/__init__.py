"""Plain dataclasses of the domain: no I/O, no HTTP."""

from backchannel.models.objects import (
    Bot,
    Channel,
    Message,
    Organisation,
    TokenInfo,
    User,
    Workspace,
)
from backchannel.models.topology import DbShard, ShardMap, WorkspaceAssignment

__all__ = [
    "Bot",
    "Channel",
    "DbShard",
    "Message",
    "Organisation",
    "ShardMap",
    "TokenInfo",
    "User",
    "Workspace",
    "WorkspaceAssignment",
]
