"""Channels: creation and membership, with Slack's rules on names and access."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from backchannel.errors import AlreadyExists, BackchannelError, NotFound
from backchannel.models import Channel
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.validation import check_channel_name
from backchannel.storage import channels as store
from backchannel.storage import users
from backchannel.types import PRIVATE_CHANNEL, PUBLIC_CHANNEL, keyspace_of, new_keyed_id


async def create_channel(
    ctx: ServiceContext, *, workspace_id: str, creator: str, name: str, is_private: bool = False
) -> Channel:
    """A new channel of the workspace, with its creator as first member."""
    name = check_channel_name(name)
    now = ctx.clock()
    prefix = PRIVATE_CHANNEL if is_private else PUBLIC_CHANNEL
    channel = Channel(
        id=new_keyed_id(prefix, keyspace_of(workspace_id)),
        workspace_id=workspace_id,
        name=name,
        is_private=is_private,
        is_im=False,
        is_mpim=False,
        is_general=False,
        is_archived=False,
        creator=creator,
        created=now,
    )
    async with ctx.router.write(ShardFor(workspace_id)) as conn:
        if await store.channel_by_name_txn(conn, workspace_id, name) is not None:
            raise AlreadyExists(f"a channel named #{name} already exists", slack_error="name_taken")
        await store.insert_channel_txn(conn, channel)
        await store.add_member_txn(
            conn, channel_id=channel.id, user_id=creator, workspace_id=workspace_id, now=now
        )
    return channel


async def join_channel(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> Channel:
    """Join a public channel; joining one already joined is not an error (as in Slack)."""
    async with ctx.router.write(ShardFor(channel_id)) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if not await store.is_member_txn(conn, channel_id, user_id):
            await store.add_member_txn(
                conn,
                channel_id=channel_id,
                user_id=user_id,
                workspace_id=workspace_id,
                now=ctx.clock(),
            )
    return channel


async def invite_to_channel(
    ctx: ServiceContext, *, workspace_id: str, inviter: str, channel_id: str, user_ids: list[str]
) -> Channel:
    """Add people to a channel the inviter is in (the only way into a private one)."""
    async with ctx.router.write(ShardFor(channel_id)) as conn:
        channel = await access_channel_txn(conn, workspace_id, inviter, channel_id)
        if not await store.is_member_txn(conn, channel_id, inviter):
            raise BackchannelError("join the channel first", slack_error="not_in_channel")
        for user_id in user_ids:
            if await users.get_user_txn(conn, workspace_id, user_id) is None:
                raise NotFound(f"no user {user_id}", slack_error="user_not_found")
            if await store.is_member_txn(conn, channel_id, user_id):
                raise AlreadyExists(
                    f"{user_id} is already in the channel", slack_error="already_in_channel"
                )
            await store.add_member_txn(
                conn,
                channel_id=channel_id,
                user_id=user_id,
                workspace_id=workspace_id,
                now=ctx.clock(),
            )
    return channel


async def access_channel_txn(
    conn: AsyncConnection, workspace_id: str, user_id: str, channel_id: str
) -> Channel:
    """The channel if the user may see it; channel_not_found when missing *or* hidden."""
    channel = await store.get_channel_txn(conn, channel_id)
    hidden = (
        channel is None
        or channel.workspace_id != workspace_id
        or (
            (channel.is_private or channel.is_im or channel.is_mpim)
            and not await store.is_member_txn(conn, channel_id, user_id)
        )
    )
    if hidden or channel is None:
        raise NotFound(f"no channel {channel_id}", slack_error="channel_not_found")
    return channel
