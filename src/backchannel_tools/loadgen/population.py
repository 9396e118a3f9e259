"""The simulated workspace: its people and channels, made through the services the first
time and found again on later runs, and a fresh token per person for each run.

The deployment has no public API for making people, so this runs against its storage (the
same storage options as `backchannel admin`) on the deployment's own machine. Person n is
user{n}@loadgen.test, in #general and in one or two of the load-K channels. See
docs/loadgen.md#the-population.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

from backchannel.errors import NotFound
from backchannel.models import TokenInfo, User, Workspace
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.conversations import reading as conversations
from backchannel.services.conversations.reading import ConversationView
from backchannel.services.identity import auth
from backchannel.services.people import directory, users
from backchannel.services.tenancy.teams import create_org_workspace
from backchannel.services.tenancy.workspaces import find_workspace

T = TypeVar("T")
Progress = Callable[[str], None]

AT_ONCE = 32  # writes in flight together: SQLite's group commit takes them in one fsync
PAGE = 1000


@dataclass(frozen=True)
class Member:
    user_id: str
    token: str
    channel_ids: tuple[str, ...]  # #general first


@dataclass(frozen=True)
class Population:
    workspace_id: str
    domain: str
    members: list[Member]
    channel_ids: list[str]  # #general first
    created_users: int
    reused_users: int
    created_channels: int
    joined: int  # memberships added by this run

    def as_json(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "domain": self.domain,
            "users": len(self.members),
            "users_created": self.created_users,
            "users_reused": self.reused_users,
            "channels": len(self.channel_ids),
            "channels_created": self.created_channels,
            "memberships_added": self.joined,
        }


def email_of(number: int) -> str:
    return f"user{number}@loadgen.test"


def channels_of(number: int, count: int) -> tuple[int, ...]:
    """The load-K channels person `number` is in: one or two, spread evenly."""
    first = number % count
    if count == 1:
        return (first,)
    return first, (first + 1 + (number // count) % (count - 1)) % count


async def prepare(
    ctx: ServiceContext, *, domain: str, people: int, rooms: int, progress: Progress
) -> Population:
    workspace = await _workspace(ctx, domain, progress)
    user_ids, created = await _people(ctx, workspace, people, progress)
    channel_ids, made_channels = await _channels(ctx, workspace.id, user_ids[0], rooms)
    wanted = [
        (channel_ids[0], *(channel_ids[1 + k] for k in channels_of(n, rooms)))
        for n in range(people)
    ]
    joined = await _join(ctx, workspace.id, user_ids, wanted, progress)
    progress(f"minting a token for each of the {people} people")
    tokens = await _bounded(
        auth.issue_token(ctx, TokenInfo(user_id, workspace.id, "user")) for user_id in user_ids
    )
    members = [
        Member(user_id, token, rooms_of)
        for user_id, token, rooms_of in zip(user_ids, tokens, wanted, strict=True)
    ]
    return Population(
        workspace.id,
        workspace.domain,
        members,
        channel_ids,
        created_users=created,
        reused_users=people - created,
        created_channels=made_channels,
        joined=joined,
    )


async def _workspace(ctx: ServiceContext, domain: str, progress: Progress) -> Workspace:
    try:
        return await find_workspace(ctx, domain)
    except NotFound:
        progress(f"creating the workspace {domain}")
        return await create_org_workspace(ctx, name="Loadgen", domain=domain, org_id=None)


async def _people(
    ctx: ServiceContext, workspace: Workspace, count: int, progress: Progress
) -> tuple[list[str], int]:
    """The ids of people 0..count-1, made where missing; and how many were made."""
    listed = await _every_page(partial(_user_page, ctx, workspace.id))
    known = {user.email: user.id for user in listed if user.email is not None}
    missing = [n for n in range(count) if email_of(n) not in known]
    if missing:
        progress(f"creating {len(missing)} people in {workspace.domain}")
    made = await _bounded(
        users.create_user(ctx, workspace=workspace.id, email=email_of(n), name=f"Loadgen User {n}")
        for n in missing
    )
    known.update((email_of(n), new.user.id) for n, new in zip(missing, made, strict=True))
    return [known[email_of(n)] for n in range(count)], len(missing)


async def _channels(
    ctx: ServiceContext, workspace_id: str, creator: str, count: int
) -> tuple[list[str], int]:
    """#general, then load-0..load-(count-1), made where missing; and how many were made."""
    views = await _every_page(partial(_channel_page, ctx, workspace_id, creator))
    by_name = {view.channel.name: view.channel.id for view in views}
    general = next(view.channel.id for view in views if view.channel.is_general)
    names = [f"load-{k}" for k in range(count)]
    missing = [name for name in names if name not in by_name]
    for name in missing:
        made = await channels.create_channel(
            ctx, workspace_id=workspace_id, creator=creator, name=name
        )
        by_name[name] = made.id
    return [general, *(by_name[name] for name in names)], len(missing)


async def _join(
    ctx: ServiceContext,
    workspace_id: str,
    user_ids: list[str],
    wanted: list[tuple[str, ...]],
    progress: Progress,
) -> int:
    """Each person into their channels where they are not yet; how many joins that took."""
    members_of: dict[str, set[str]] = {}
    for user_id, rooms in zip(user_ids, wanted, strict=True):
        for channel_id in rooms:
            members_of.setdefault(channel_id, set()).add(user_id)
    joins = []
    for channel_id, members in members_of.items():
        present = await _every_page(
            partial(_member_page, ctx, workspace_id, user_ids[0], channel_id)
        )
        joins += [(channel_id, user_id) for user_id in members - set(present)]
    if joins:
        progress(f"adding {len(joins)} channel memberships")
    await _bounded(
        channels.join_channel(ctx, workspace_id=workspace_id, user_id=user_id, channel_id=c)
        for c, user_id in joins
    )
    return len(joins)


async def _user_page(
    ctx: ServiceContext, workspace_id: str, after: str | None
) -> tuple[list[User], str | None]:
    page = await directory.list_users(ctx, workspace_id, after=after, limit=PAGE)
    return page.users, page.next_after


async def _channel_page(
    ctx: ServiceContext, workspace_id: str, caller: str, after: str | None
) -> tuple[list[ConversationView], str | None]:
    page = await conversations.list_conversations(
        ctx,
        workspace_id=workspace_id,
        user_id=caller,
        kinds=["public_channel"],
        after=after,
        limit=PAGE,
    )
    return page.items, page.next_after


async def _member_page(
    ctx: ServiceContext, workspace_id: str, caller: str, channel_id: str, after: str | None
) -> tuple[list[str], str | None]:
    page = await conversations.list_members(
        ctx,
        workspace_id=workspace_id,
        user_id=caller,
        channel_id=channel_id,
        after=after,
        limit=PAGE,
    )
    return page.items, page.next_after


async def _every_page(
    fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]],
) -> list[T]:
    found: list[T] = []
    after: str | None = None
    while True:
        items, after = await fetch(after)
        found += items
        if after is None:
            return found


async def _bounded(work: Iterable[Awaitable[T]]) -> list[T]:
    """Each awaited, AT_ONCE at a time, in order; the first failure raised once its batch
    has ended (nothing is left running behind the caller's back)."""
    pending = list(work)
    done: list[T] = []
    for first in range(0, len(pending), AT_ONCE):
        batch = await asyncio.gather(*pending[first : first + AT_ONCE], return_exceptions=True)
        failures = [result for result in batch if isinstance(result, BaseException)]
        if failures:
            for later in pending[first + AT_ONCE :]:
                _discard(later)
            raise failures[0]
        done += cast(list[T], batch)
    return done


def _discard(work: Awaitable[Any]) -> None:
    close = getattr(work, "close", None)  # a coroutine never awaited: no warning for it
    if close is not None:
        close()
