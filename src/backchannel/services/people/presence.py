"""Presence: what a person chose ("auto" or "away") and what others see ("active" or "away").

Until the edge's websockets exist there are no connections to count, so a person is "active"
whenever they chose "auto" and "away" when they set themselves away. When sockets arrive,
`Presence` gains real `online`, `connection_count` and `last_activity` values here.
A change of choice is pushed as presence_change, an ephemeral event (docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backchannel.errors import AuthError, InvalidArgument
from backchannel.models import Event, TokenInfo, User
from backchannel.models.events import to_workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.people.directory import get_user
from backchannel.services.realtime import events
from backchannel.storage.shard import users

CHOICES = ("auto", "away")


@dataclass(frozen=True)
class Presence:
    presence: str  # "active" or "away"
    manual_away: bool
    auto_away: bool = False  # no activity tracking yet
    online: bool = False  # no client connections yet
    connection_count: int = 0


def presence_of(user: User) -> Presence:
    manual_away = user.presence == "away"
    return Presence(presence="away" if manual_away else "active", manual_away=manual_away)


async def get_presence(ctx: ServiceContext, caller: TokenInfo, user_id: str | None) -> Presence:
    """The presence of the caller, or of another member of their workspace."""
    user = await get_user(ctx, caller.workspace_id, user_id or caller.user_id)
    return presence_of(user)


async def set_presence(ctx: ServiceContext, caller: TokenInfo, presence: str) -> None:
    """The caller chooses "auto" (active when connected) or "away"."""
    if presence not in CHOICES:
        raise InvalidArgument(
            f"presence must be auto or away, got {presence!r}", slack_error="invalid_presence"
        )
    async with ctx.router.write(ShardFor(caller.workspace_id)) as conn:
        user = await users.get_user_txn(conn, caller.workspace_id, caller.user_id)
        if user is None or user.deleted:
            raise AuthError("the token's user is deactivated", slack_error="account_inactive")
        await users.set_presence_txn(conn, user.workspace_id, user.id, presence)
        if user.presence != presence:  # others see a change only when the choice changes
            events.add_live_txn(ctx, conn, presence_event(replace(user, presence=presence)))


def presence_event(user: User) -> Event:
    """presence_change, to the workspace: ephemeral, never replayed (the edge filters it by
    each socket's presence_sub)."""
    payload = {"type": "presence_change", "user": user.id, "presence": presence_of(user).presence}
    return to_workspace(user.workspace_id, payload)
