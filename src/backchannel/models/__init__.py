"""Plain dataclasses of the domain: no I/O, no HTTP."""

from backchannel.models.events import Event, Position
from backchannel.models.objects import (
    App,
    Bot,
    Channel,
    Message,
    Organisation,
    Pin,
    SharedTeam,
    TokenInfo,
    User,
    Webhook,
    Workspace,
)
from backchannel.models.topology import DbShard, EdgeInfo, ShardMap, WorkspaceAssignment

__all__ = [
    "App",
    "Bot",
    "Channel",
    "DbShard",
    "EdgeInfo",
    "Event",
    "Message",
    "Organisation",
    "Pin",
    "Position",
    "ShardMap",
    "SharedTeam",
    "TokenInfo",
    "User",
    "Webhook",
    "Workspace",
    "WorkspaceAssignment",
]
