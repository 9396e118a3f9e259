"""Who may see, read and change a conversation, and where its verbs run: the one place that
decides (docs/webapp.md#who-reads-what).

Slack's rule, as its scopes put it: anyone of the workspace sees the basic information of
its public channels (channels:read); a person reads what is said in any of them, while an
app (a bot) reads messages, threads, reactions and pins only "in channels and
conversations that your Slack app has been added to" (channels:history, reactions:read,
pins:read). A conversation that the caller may not see fails exactly like one that does not
exist (channel_not_found), so ids of other workspaces and of private channels reveal
nothing; a public channel a bot may see but not read is not_in_channel, as in Slack.

Changing what is in a conversation (posting, pins, settings, inviting) takes one that is
not archived (is_archived) and a caller in it (not_in_channel). A shared channel is
managed by its home: the home's people in it and the home's admins (`may_manage_txn`).
Every verb on a conversation runs at its home, on the shard of its id (`conversation_txn`),
whichever workspace calls it (docs/organisations.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal, overload

from backchannel.errors import BackchannelError, NotFound
from backchannel.models import Channel
from backchannel.router import ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import memberships as membership_store
from backchannel.storage.shard import users
from backchannel.types import is_keyed_id

_CONVERSATION_KINDS = frozenset("CGD")


# -- where a conversation's verbs run ------------------------------------------------------


def conversation_home(channel_id: str) -> ShardFor:
    """The shard a conversation's verbs run on: its home's, named by its id's keyspace.
    Anything that is not a conversation id is channel_not_found."""
    if not is_keyed_id(channel_id) or channel_id[0] not in _CONVERSATION_KINDS:
        raise no_channel(channel_id)
    return ShardFor(channel_id)


@overload
def conversation_txn(
    ctx: ServiceContext, channel_id: str, *, write: Literal[True]
) -> AbstractAsyncContextManager[Transaction]: ...


@overload
def conversation_txn(
    ctx: ServiceContext, channel_id: str, *, write: Literal[False], replica_ok: bool = False
) -> AbstractAsyncContextManager[Conn]: ...


def conversation_txn(
    ctx: ServiceContext, channel_id: str, *, write: bool, replica_ok: bool = False
) -> AbstractAsyncContextManager[Conn]:
    """A transaction at the conversation's home, where its members, messages and the
    workspaces it is shared with are (with `write`, a write transaction bound to that
    shard, router/transaction.py).

    An id of a workspace that does not exist fails as channel_not_found too, the way Slack
    answers any channel it does not know.
    """
    return _conversation_txn(ctx, channel_id, write=write, replica_ok=replica_ok)


@asynccontextmanager
async def _conversation_txn(
    ctx: ServiceContext, channel_id: str, *, write: bool, replica_ok: bool
) -> AsyncIterator[Conn]:
    home = conversation_home(channel_id)
    try:
        if write:
            async with ctx.router.write(home) as conn:
                yield conn
        else:
            async with ctx.router.read(home, replica_ok=replica_ok) as conn:
                yield conn
    except NotFound as exc:
        if exc.slack_error != "team_not_found":
            raise
        raise no_channel(channel_id) from None


# -- seeing and reading ----------------------------------------------------------------------


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
            and not await membership_store.is_member_txn(conn, channel_id, user_id)
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
    if not reads_unjoined_channels(is_bot):
        await check_member_txn(conn, channel, user_id)
    return channel


# -- changing ------------------------------------------------------------------------------


def check_not_archived(channel: Channel, *, slack_error: str = "is_archived") -> None:
    """Nothing changes in an archived conversation: is_archived, or the method's own word
    for it (sharing says channel_is_archived)."""
    if channel.is_archived:
        raise BackchannelError("the channel is archived", slack_error=slack_error)


def not_in_channel() -> BackchannelError:
    return BackchannelError("join the channel first", slack_error="not_in_channel")


async def check_member_txn(conn: Conn, channel: Channel, user_id: str) -> None:
    """not_in_channel unless the user is in the conversation."""
    if not await membership_store.is_member_txn(conn, channel.id, user_id):
        raise not_in_channel()


async def writable_channel_txn(
    conn: Conn, workspace_id: str, user_id: str, channel_id: str
) -> Channel:
    """A conversation the user may see, not archived, that they are in: where they post,
    pin and unpin."""
    channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
    check_not_archived(channel)
    await check_member_txn(conn, channel, user_id)
    return channel


async def is_admin_txn(conn: Conn, workspace_id: str, user_id: str) -> bool:
    """An admin or owner of the workspace (`conn` on a shard that holds its people)."""
    person = await users.get_user_txn(conn, workspace_id, user_id)
    return person is not None and (person.is_admin or person.is_owner)


async def may_manage_txn(conn: Conn, channel: Channel, user_id: str) -> bool:
    """The people of the channel's workspace who are in it, and that workspace's admins and
    owners, may change it: a shared channel is managed by its home (`conn` is there)."""
    person = await users.get_user_txn(conn, channel.workspace_id, user_id)
    if person is None or person.deleted:
        return False
    if person.is_admin or person.is_owner:
        return True
    return await membership_store.is_member_txn(conn, channel.id, user_id)
