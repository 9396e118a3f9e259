"""Where a workspace lives, as the processes serving it ask: its assignment in the shard map
(DB shard, message-server shard, and state while it moves; docs/router.md). The operators'
move itself is ops/moves.py."""

from __future__ import annotations

from backchannel.errors import BackchannelError
from backchannel.models import ShardMap
from backchannel.models.topology import FROZEN
from backchannel.router.shard_map import Observer
from backchannel.services.context import ServiceContext


class MigrationInProgress(BackchannelError):
    """The workspace is frozen for the last step of a move: its clients come back shortly."""

    slack_error = "migration_in_progress"


async def check_not_moving(ctx: ServiceContext, workspace_id: str) -> None:
    """Refuse a socket while the workspace is FROZEN (rtm.connect, rtm.start, the edge's
    handshake): it would follow the log being left, and its ticket is a write that would
    wait out the freeze."""
    if (await ctx.router.assignment(workspace_id)).state == FROZEN:
        raise MigrationInProgress(
            f"workspace {workspace_id} is being moved to another shard: connect again shortly"
        )


async def workspace_log(ctx: ServiceContext, workspace_id: str) -> str:
    """The DB shard whose event log holds the workspace's events: its sockets follow it."""
    return (await ctx.router.assignment(workspace_id)).db_shard


def shard_map_now(ctx: ServiceContext) -> ShardMap:
    """This process's shard map as it stands (its watch keeps it current): no database read,
    for checks on the edge's hot paths."""
    return ctx.router.shard_map.current


def watch_shard_map(ctx: ServiceContext, observer: Observer) -> None:
    """Call `observer(old, new)` whenever this process's shard map changes (a workspace
    frozen for a move, or moved): in the reloading task, so keep it quick."""
    ctx.router.shard_map.observe(observer)
