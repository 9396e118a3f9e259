"""Who may see a conversation and read what is said in it: the one place that decides
(docs/webapp.md#who-reads-what).

Slack's rule, as its scopes put it: anyone of the workspace sees the basic information of
its public channels (channels:read); a person reads what is said in any of them, while an
app (a bot) reads messages, threads, reactions and pins only "in channels and
conversations that your Slack app has been added to" (channels:history, reactions:read,
pins:read). A conversation that the caller may not see fails exactly like one that does not
exist (channel_not_found), so ids of other workspaces and of private channels reveal
nothing; a public channel a bot may see but not read is not_in_channel, as in Slack.
"""

from __future__ import annotations

from backchannel.errors import BackchannelError, NotFound
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


def reads_unjoined_channels(is_bot: bool) -> bool:
    """Whether the reader reads the public channels they are not in: people do, bots don't."""
    return not is_bot


async def readable_channel_txn(
    conn: Conn, workspace_id: str, user_id: str, channel_id: str, *, is_bot: bool
) -> Channel:
    """The channel if the user may read what is said in it (messages, threads, reactions,
    pins): channel_not_found when they may not see it, not_in_channel when they see it but
    are a bot outside it."""
    channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
    if not reads_unjoined_channels(is_bot) and not await store.is_member_txn(
        conn, channel_id, user_id
    ):
        raise BackchannelError("the bot is not in the channel", slack_error="not_in_channel")
    return channel
