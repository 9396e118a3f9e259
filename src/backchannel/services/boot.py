"""The boot payload of rtm.start: what a client shows before its socket's first event
(docs/realtime.md).

It is read in one transaction on the workspace's shard, with a fixed number of queries
whatever the number of conversations (storage/boot.py reads all of the caller's at once).
"""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.models import Bot, Channel, Message, TokenInfo, User, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.directory import describe_caller
from backchannel.services.edges import socket_url
from backchannel.services.profiles import with_current_status
from backchannel.storage import boot as store
from backchannel.storage import channels, reactions, users
from backchannel.storage.connection import Conn

PAGE = 1000  # rows per query when reading a whole workspace's users or channels


@dataclass(frozen=True)
class BootConversation:
    """A conversation as the caller sees it at boot; the read state only if they are in it."""

    channel: Channel
    is_member: bool
    members: list[str]  # everyone in it, in the order they joined (members only)
    last_read: str | None = None
    latest: Message | None = None  # the newest message shown in it
    unread_count: int = 0  # messages of others after last_read
    mention_count: int = 0  # those that mention the caller; in a (group) DM all (as Slack)


@dataclass(frozen=True)
class Boot:
    workspace: Workspace
    user: User  # the caller
    users: list[User]  # every person and bot user of the workspace, deactivated ones too
    bots: list[Bot]
    conversations: list[BootConversation]  # public channels, and the others the caller is in
    url: str  # the caller's websocket URL, with a fresh ticket
    now: float


async def boot(ctx: ServiceContext, caller: TokenInfo) -> Boot:
    who = await describe_caller(ctx, caller)
    # The ticket first: without an edge there is nothing to boot into, so fail before reading.
    url = await socket_url(ctx, caller)
    now = ctx.clock()
    async with ctx.router.read(ShardFor(caller.workspace_id)) as conn:
        people = await _all_users_txn(conn, caller.workspace_id)
        bots = await store.bots_txn(conn, caller.workspace_id)
        conversations = await _conversations_txn(conn, caller.workspace_id, caller.user_id)
    people = [with_current_status(person, now) for person in people]
    return Boot(who.workspace, who.user, people, bots, conversations, url, now)


async def read_state(ctx: ServiceContext, caller: TokenInfo) -> list[BootConversation]:
    """Where the caller has read to in each conversation they are in, with its unread and
    mention counts (client.counts: what a client's badges show)."""
    async with ctx.router.read(ShardFor(caller.workspace_id)) as conn:
        found = await _conversations_txn(conn, caller.workspace_id, caller.user_id)
    return [conversation for conversation in found if conversation.is_member]


async def _all_users_txn(conn: Conn, workspace_id: str) -> list[User]:
    found: list[User] = []
    while True:
        after = found[-1].id if found else ""
        page = await users.list_users_txn(conn, workspace_id, after_id=after, limit=PAGE)
        found.extend(page)
        if len(page) < PAGE:
            return found


async def _visible_txn(conn: Conn, workspace_id: str, user_id: str) -> list[Channel]:
    found: list[Channel] = []
    while True:
        page = await channels.visible_channels_txn(
            conn,
            workspace_id,
            user_id,
            kinds=channels.KINDS,
            exclude_archived=False,
            after_id=found[-1].id if found else "",
            limit=PAGE,
        )
        found.extend(page)
        if len(page) < PAGE:
            return found


async def _conversations_txn(conn: Conn, workspace_id: str, user_id: str) -> list[BootConversation]:
    visible = await _visible_txn(conn, workspace_id, user_id)
    joined = {m.channel_id: m for m in await store.memberships_txn(conn, workspace_id, user_id)}
    members = await store.co_members_txn(conn, workspace_id, user_id)
    newest = await store.latest_shown_txn(conn, workspace_id, user_id)
    latest = {m.channel_id: m for m in await reactions.with_reactions_txn(conn, newest)}
    read_to = {channel_id: _read_to(m) for channel_id, m in joined.items()}
    unread = await store.unread_counts_txn(conn, user_id, read_to)
    none = store.Unread(0, 0)
    return [
        BootConversation(
            channel=channel,
            is_member=True,
            members=members.get(channel.id, []),
            last_read=read_to[channel.id],
            latest=latest.get(channel.id),
            unread_count=unread.get(channel.id, none).messages,
            mention_count=_mentions(channel, unread.get(channel.id, none)),
        )
        if channel.id in joined
        else BootConversation(channel=channel, is_member=False, members=[])
        for channel in visible
    ]


def _mentions(channel: Channel, unread: store.Unread) -> int:
    return unread.messages if channel.is_im or channel.is_mpim else unread.mentions


def _read_to(membership: store.Membership) -> str:
    """Where the member has read to; before any mark, up to when they joined (joining a
    channel does not make its history unread, as in Slack)."""
    if membership.last_read is not None:
        return membership.last_read
    seconds, micros = divmod(int(membership.joined * 1_000_000), 1_000_000)
    return f"{seconds:010d}.{micros:06d}"  # a ts, even for a clock near 0 (tests)
