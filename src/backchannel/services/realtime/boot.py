"""The boot payload of rtm.start: what a client shows before its socket's first event
(docs/realtime.md); and the reads of the edge's lean boot (docs/edge-cache.md): a
workspace's whole directory for its cache, and a person's read state.

It is read in one transaction on the workspace's shard, with a fixed number of queries
whatever the number of conversations (storage/shard/boot.py reads all of the caller's at once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from backchannel.models import Bot, Channel, Message, Position, TokenInfo, User, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import conversation_home
from backchannel.services.people.directory import describe_caller
from backchannel.services.people.profiles import with_current_status
from backchannel.services.realtime.edges import socket_url
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.services.tenancy.shared_refs import refs_by_host
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.storage.engines.connection import Conn
from backchannel.storage.log import events as event_store
from backchannel.storage.shard import boot as store
from backchannel.storage.shard import channels, reactions, users
from backchannel.storage.shard import memberships as membership_store

PAGE = 1000  # rows per query when reading a whole workspace's users or channels
IDS_PER_QUERY = 500  # ids in one IN (...)


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
        people = await _every_page(
            lambda after: users.list_users_txn(
                conn, caller.workspace_id, after_id=after, limit=PAGE
            )
        )
        bots = await store.bots_txn(conn, caller.workspace_id)
        conversations = await _conversations_txn(conn, caller.workspace_id, caller.user_id)
    for host, channel_ids in (await refs_by_host(ctx, caller.workspace_id)).items():
        async with ctx.router.read(ShardFor(host)) as conn:
            conversations += await _conversations_txn(
                conn, caller.workspace_id, caller.user_id, among=channel_ids
            )
    people = [with_current_status(person, now) for person in people]
    return Boot(who.workspace, who.user, people, bots, conversations, url, now)


@dataclass(frozen=True)
class Snapshot:
    """A workspace's directory as its log stood at `through` (or later): what the edge's
    cache is filled from, events after `through` being applied on top."""

    workspace: Workspace
    through: Position
    users: list[User]  # its people and bot users, and the others in its shared channels
    bots: list[Bot]
    channels: list[Channel]  # its conversations, and the channels shared with it
    members: dict[str, list[str]]  # channel id -> member ids, by id


async def snapshot(ctx: ServiceContext, workspace_id: str) -> Snapshot:
    """Read everything the edge's cache holds of a workspace. The log's head is read first,
    in the same transaction: whatever the isolation, the rows are at least that recent."""
    workspace = await find_workspace(ctx, workspace_id)
    stream = await workspace_log(ctx, workspace_id)
    now = ctx.clock()
    # Unbounded (storage/engines/row_limit.py): the cache holds the whole workspace, on purpose.
    async with ctx.router.read(ShardFor(workspace_id), unbounded=True) as conn:
        state = await event_store.stream_state_txn(conn)
        people = await _every_page(
            lambda after: users.list_users_txn(conn, workspace_id, after_id=after, limit=PAGE)
        )
        bots = await store.bots_txn(conn, workspace_id)
        conversations = await _every_channel_txn(conn, workspace_id, None)
        memberships = await membership_store.every_member_txn(conn, workspace_id)
    for host, channel_ids in (await refs_by_host(ctx, workspace_id)).items():
        async with ctx.router.read(ShardFor(host), unbounded=True) as conn:
            shared = await _every_channel_txn(conn, host, channel_ids)
            conversations += [c for c in shared if c.is_shared_with(workspace_id)]
            memberships += await membership_store.every_member_txn(conn, host, among=channel_ids)
    own = {person.id for person in people}
    people += await _people(ctx, [m for m in memberships if m[1] not in own])
    members: dict[str, list[str]] = {channel.id: [] for channel in conversations}
    for channel_id, user_id, _ in memberships:
        if channel_id in members:
            members[channel_id].append(user_id)
    through = Position(stream, state.epoch, state.head)
    people = [with_current_status(person, now) for person in people]
    return Snapshot(workspace, through, people, bots, conversations, members)


async def _every_channel_txn(
    conn: Conn, workspace_id: str, among: Sequence[str] | None
) -> list[Channel]:
    return await _every_page(
        lambda after: channels.every_channel_txn(
            conn, workspace_id, among=among, after_id=after, limit=PAGE
        )
    )


@dataclass(frozen=True)
class ChannelSnapshot:
    channel: Channel
    members: list[str]  # by id
    newcomers: list[User]  # the members that were not `known`, from their own seats


async def channel_snapshot(
    ctx: ServiceContext, workspace_id: str, channel_id: str, known: Collection[str]
) -> ChannelSnapshot | None:
    """One conversation as the workspace has it now, for the edge's cache to read again;
    None when it is gone or no longer shared with the workspace."""
    async with ctx.router.read(conversation_home(channel_id), unbounded=True) as conn:
        channel = await channels.get_channel_txn(conn, channel_id)
        if channel is None or not (
            channel.workspace_id == workspace_id or channel.is_shared_with(workspace_id)
        ):
            return None
        memberships = await membership_store.every_member_txn(
            conn, channel.workspace_id, among=[channel_id]
        )
    unknown = [membership for membership in memberships if membership[1] not in known]
    newcomers = [with_current_status(user, ctx.clock()) for user in await _people(ctx, unknown)]
    return ChannelSnapshot(channel, [user_id for _, user_id, _ in memberships], newcomers)


async def _people(ctx: ServiceContext, memberships: Sequence[tuple[str, str, str]]) -> list[User]:
    """The people of these memberships, each from the shard of their seat's workspace."""
    wanted: dict[str, set[str]] = {}
    for _, user_id, seat in memberships:
        wanted.setdefault(seat, set()).add(user_id)
    found: list[User] = []
    for seat, user_ids in sorted(wanted.items()):
        ordered = sorted(user_ids)
        async with ctx.router.read(ShardFor(seat)) as conn:
            for start in range(0, len(ordered), IDS_PER_QUERY):
                batch = ordered[start : start + IDS_PER_QUERY]
                found += await users.users_by_ids_txn(conn, seat, batch)
    return found


async def read_state(ctx: ServiceContext, caller: TokenInfo) -> list[BootConversation]:
    """Where the caller has read to in each conversation they are in, with its unread and
    mention counts (client.counts: what a client's badges show)."""
    workspace_id, user_id = caller.workspace_id, caller.user_id
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = await _joined_state_txn(conn, workspace_id, user_id, None)
    for host, channel_ids in (await refs_by_host(ctx, workspace_id)).items():
        async with ctx.router.read(ShardFor(host)) as conn:
            found += await _joined_state_txn(conn, workspace_id, user_id, channel_ids)
    return found


async def _joined_state_txn(
    conn: Conn, workspace_id: str, user_id: str, among: Sequence[str] | None
) -> list[BootConversation]:
    """The read state of the conversations the user is in: the workspace's own, or (`among`)
    those of these shared channels on `conn`'s shard."""
    joined = await _listed_txn(channels.member_channels_txn, conn, workspace_id, user_id, among)
    seat = workspace_id if among is None else None
    return list((await _read_state_txn(conn, seat, user_id, joined, {})).values())


async def _listed_txn(
    listing: Callable[..., Awaitable[list[Channel]]],
    conn: Conn,
    workspace_id: str,
    user_id: str,
    among: Sequence[str] | None,
) -> list[Channel]:
    """All of a channel listing (visible_channels_txn or member_channels_txn) of every kind;
    with `among`, only the channels still shared with the workspace (the home decides)."""
    found = await _every_page(
        lambda after: listing(
            conn,
            workspace_id,
            user_id,
            kinds=channels.KINDS,
            exclude_archived=False,
            after_id=after,
            limit=PAGE,
            among=among,
        )
    )
    if among is None:
        return found
    return [channel for channel in found if channel.is_shared_with(workspace_id)]


class _Keyed(Protocol):
    @property
    def id(self) -> str: ...


_Row = TypeVar("_Row", bound=_Keyed)


async def _every_page(fetch: Callable[[str], Awaitable[list[_Row]]]) -> list[_Row]:
    """All of a listing read PAGE rows at a time, each page after the last one's id."""
    found: list[_Row] = []
    while True:
        page = await fetch(found[-1].id if found else "")
        found.extend(page)
        if len(page) < PAGE:
            return found


async def _conversations_txn(
    conn: Conn, workspace_id: str, user_id: str, among: Sequence[str] | None = None
) -> list[BootConversation]:
    """The conversations the user sees: the workspace's own, or (`among`) those of these
    shared channels on `conn`'s shard."""
    visible = await _listed_txn(channels.visible_channels_txn, conn, workspace_id, user_id, among)
    # At a shared channel's home the person may be in it from another of their seats.
    seat = workspace_id if among is None else None
    members = await store.co_members_txn(conn, seat, user_id)
    mine = await _read_state_txn(conn, seat, user_id, visible, members)
    return [
        mine.get(channel.id) or BootConversation(channel=channel, is_member=False, members=[])
        for channel in visible
    ]


async def _read_state_txn(
    conn: Conn,
    workspace_id: str | None,
    user_id: str,
    chosen: Sequence[Channel],
    members: Mapping[str, list[str]],
) -> dict[str, BootConversation]:
    """The conversations among `chosen` that the user is in, with their read state, by id."""
    marks = await _read_marks_txn(conn, workspace_id, user_id)
    return {
        channel.id: BootConversation(
            channel=channel,
            is_member=True,
            members=members.get(channel.id, []),
            last_read=marks[channel.id].last_read,
            latest=marks[channel.id].latest,
            unread_count=marks[channel.id].unread.messages,
            mention_count=marks[channel.id].mention_count(channel.is_im or channel.is_mpim),
        )
        for channel in chosen
        if channel.id in marks
    }


@dataclass(frozen=True)
class ReadMark:
    """A member's read state in one conversation."""

    last_read: str
    latest: Message | None  # the newest message shown in it
    unread: store.Unread

    def mention_count(self, direct: bool) -> int:
        """What its badge counts: mentions of the reader, or in a (group) DM every unread
        message (as Slack)."""
        return self.unread.messages if direct else self.unread.mentions


async def read_marks(
    ctx: ServiceContext, workspace_id: str, user_id: str, hosts: Collection[str]
) -> dict[str, ReadMark]:
    """The read state of every conversation the person is in, on the shard of their
    workspace and on those of these other workspaces (homes of shared channels they are
    in), by channel id: the edge's lean boot, which knows their conversations already."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = await _read_marks_txn(conn, workspace_id, user_id)
    for host in sorted(set(hosts) - {workspace_id}):
        async with ctx.router.read(ShardFor(host)) as conn:
            found.update(await _read_marks_txn(conn, None, user_id))
    return found


async def _read_marks_txn(
    conn: Conn, workspace_id: str | None, user_id: str
) -> dict[str, ReadMark]:
    """The user's read state in each conversation they are in on `conn`'s shard (from one
    seat's memberships, or with None from any seat's)."""
    joined = await store.memberships_txn(conn, workspace_id, user_id)
    newest = await store.latest_shown_txn(conn, workspace_id, user_id)
    latest = {m.channel_id: m for m in await reactions.with_reactions_txn(conn, newest)}
    read_to = {m.channel_id: _read_to(m) for m in joined}
    unread = await store.unread_counts_txn(conn, user_id, read_to)
    none = store.Unread(0, 0)
    return {
        channel_id: ReadMark(after, latest.get(channel_id), unread.get(channel_id, none))
        for channel_id, after in read_to.items()
    }


def _read_to(membership: store.Membership) -> str:
    """Where the member has read to; before any mark, up to when they joined (joining a
    channel does not make its history unread, as in Slack)."""
    if membership.last_read is not None:
        return membership.last_read
    seconds, micros = divmod(int(membership.joined * 1_000_000), 1_000_000)
    return f"{seconds:010d}.{micros:06d}"  # a ts, even for a clock near 0 (tests)
