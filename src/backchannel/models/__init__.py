"""Plain dataclasses of the domain: no I/O, no HTTP."""

from backchannel.models.objects import (
    Bot,
    Channel,
    Message,
    Organisation,
    Pin,
    TokenInfo,
    User,
    Webhook,
    Workspace,
)
from backchannel.models.topology import DbShard, ShardMap, WorkspaceAssignment

__all__ = [
    "Bot",
    "Channel",
    "DbShard",
    "Message",
    "Organisation",
    "Pin",
    "ShardMap",
    "TokenInfo",
    "User",
    "Webhook",
    "Workspace",
    "WorkspaceAssignment",
]
