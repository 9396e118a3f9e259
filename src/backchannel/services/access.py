"""Who may see a conversation: the one place that decides (docs/architecture.md).

A conversation that the caller may not see fails exactly like one that does not exist
(channel_not_found), so ids of other workspaces and of private channels reveal nothing.
"""

from __future__ import annotations

from backchannel.errors import NotFound
from backchannel.models import Channel
from backchannel.storage import channels as store
from backchannel.storage.connection import Conn


def no_channel(channel_id: str) -> NotFound:
    return NotFound(f"no channel {channel_id}", slack_error="channel_not_found")


async def access_channel_txn(
    conn: Conn, workspace_id: str, user_id: str, channel_id: str
) -> Channel:
    """The channel if the user may see it; channel_not_found when missing *or* hidden.

    A channel is seen from its own workspace and from those it is shared with: `conn` is on
    its home shard, whose row says which those are now (docs/organisations.md)."""
    channel = await store.get_channel_txn(conn, channel_id)
    hidden = (
        channel is None
        or (channel.workspace_id != workspace_id and not channel.is_shared_with(workspace_id))
        or (
            (channel.is_private or channel.is_im or channel.is_mpim)
            and not await store.is_member_txn(conn, channel_id, user_id)
        )
    )
    if hidden or channel is None:
        raise no_channel(channel_id)
    return channel
