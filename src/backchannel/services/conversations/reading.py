"""Reading conversations: lists, info and members, as the caller may see them.

A conversation comes with what the caller's view of it needs (membership, member count, the
people of a DM), fetched for a whole page at once: three queries per page, not per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from backchannel.errors import InvalidArgument, NotFound
from backchannel.models import Channel
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import access_channel_txn, conversation_txn
from backchannel.services.tenancy.shared_refs import refs_by_host
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.storage.shard import history, users
from backchannel.storage.shard import memberships as membership_store

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_after: str | None  # where the next page starts after; None on the last page


@dataclass(frozen=True)
class ConversationView:
    channel: Channel
    is_member: bool
    num_members: int
    members: list[str]  # the people of a DM or group DM; empty for channels
    last_read: str | None = None


def check_kinds(kinds: Sequence[str]) -> list[str]:
    """Slack's `types`: some of public_channel, private_channel, mpim, im."""
    unknown = sorted(set(kinds) - set(store.KINDS))
    if unknown:
        raise InvalidArgument(
            f"unknown conversation types {unknown}; expected some of {list(store.KINDS)}",
            slack_error="invalid_types",
        )
    return list(dict.fromkeys(kinds))


async def list_conversations(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    kinds: Sequence[str],
    exclude_archived: bool = False,
    after: str | None = None,
    limit: int = 100,
) -> Page[ConversationView]:
    """The workspace's public channels and the private ones and DMs the caller is in."""
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = await store.visible_channels_txn(
            conn,
            workspace_id,
            user_id,
            kinds=check_kinds(kinds),
            exclude_archived=exclude_archived,
            after_id=after or "",
            limit=limit + 1,
        )
        views = await describe_txn(conn, found, user_id)
    views += await _shared_views(
        ctx,
        workspace_id,
        user_id,
        subject=None,
        kinds=check_kinds(kinds),
        exclude_archived=exclude_archived,
        after=after or "",
        limit=limit + 1,
    )
    return _merged_page(views, limit)


async def user_conversations(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    caller: str,
    user_id: str | None = None,
    kinds: Sequence[str],
    exclude_archived: bool = False,
    after: str | None = None,
    limit: int = 100,
) -> Page[ConversationView]:
    """The conversations a person is in; of someone else, only their public channels."""
    subject = user_id or caller
    wanted = check_kinds(kinds)
    if subject != caller:
        wanted = [kind for kind in wanted if kind == store.PUBLIC]
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        if subject != caller and await users.get_user_txn(conn, workspace_id, subject) is None:
            raise NotFound(f"no user {subject}", slack_error="user_not_found")
        if not wanted:
            return Page([], None)
        found = await store.member_channels_txn(
            conn,
            workspace_id,
            subject,
            kinds=wanted,
            exclude_archived=exclude_archived,
            after_id=after or "",
            limit=limit + 1,
        )
        views = await describe_txn(conn, found, caller)
    views += await _shared_views(
        ctx,
        workspace_id,
        caller,
        subject=subject,
        kinds=wanted,
        exclude_archived=exclude_archived,
        after=after or "",
        limit=limit + 1,
    )
    return _merged_page(views, limit)


async def _shared_views(
    ctx: ServiceContext,
    workspace_id: str,
    viewer: str,
    *,
    subject: str | None,
    kinds: Sequence[str],
    exclude_archived: bool,
    after: str,
    limit: int,
) -> list[ConversationView]:
    """The channels other workspaces share with `workspace_id` that the viewer may see (with
    `subject`: that the subject is in), as the viewer sees them: read at their homes, by id,
    after `after`, at most `limit`."""
    # The viewer's visible channels, or those the subject is in: one query shape for both.
    listing = store.visible_channels_txn if subject is None else store.member_channels_txn
    views: list[ConversationView] = []
    for host, channel_ids in (await refs_by_host(ctx, workspace_id, after=after)).items():
        async with ctx.router.read(ShardFor(host)) as conn:
            found = await listing(
                conn,
                workspace_id,
                subject or viewer,
                kinds=kinds,
                exclude_archived=exclude_archived,
                after_id=after,
                limit=limit,
                among=channel_ids,
            )
            # A reference outlives its share for a moment in a disconnect: the home decides.
            shared = [channel for channel in found if channel.is_shared_with(workspace_id)]
            views += await describe_txn(conn, shared, viewer)
    return sorted(views, key=lambda view: view.channel.id)[:limit]


def _merged_page(views: list[ConversationView], limit: int) -> Page[ConversationView]:
    """One page of the workspace's own conversations and those shared with it, by id."""
    ordered = sorted(views, key=lambda view: view.channel.id)
    return _page(ordered[:limit], more=len(ordered) > limit)


async def conversation_info(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> ConversationView:
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        [view] = await describe_txn(conn, [channel], user_id)
        if view.is_member:
            view = replace(view, last_read=await history.read_marker_txn(conn, channel_id, user_id))
    return view


async def list_members(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    after: str | None = None,
    limit: int = 100,
) -> Page[str]:
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        await access_channel_txn(conn, workspace_id, user_id, channel_id)
        found = await membership_store.members_txn(
            conn, channel_id, after_id=after or "", limit=limit + 1
        )
    more = len(found) > limit
    return Page(found[:limit], found[limit - 1] if more else None)


async def describe_txn(conn: Conn, found: Sequence[Channel], viewer: str) -> list[ConversationView]:
    """Each channel with the viewer's membership, its member count and a DM's people."""
    if not found:
        return []
    ids = [channel.id for channel in found]
    counts = await membership_store.member_counts_txn(conn, ids)
    joined = await membership_store.joined_of_txn(conn, viewer, ids)
    direct = [channel.id for channel in found if channel.is_im or channel.is_mpim]
    people = await membership_store.direct_members_txn(conn, direct) if direct else {}
    return [
        ConversationView(
            channel=channel,
            is_member=channel.id in joined,
            num_members=counts.get(channel.id, 0),
            members=people.get(channel.id, []),
        )
        for channel in found
    ]


def _page(views: list[ConversationView], *, more: bool) -> Page[ConversationView]:
    return Page(views, views[-1].channel.id if more and views else None)
