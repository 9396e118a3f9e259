"""A person's profile: the fields they (or an admin) may set, checked, and their custom status.

real_name and display_name live in the users table's columns as well as in the profile JSON
(see storage/shard/users.py); both are written together here, the only place that changes them.
Every change is pushed to the workspace as user_change (docs/realtime.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from backchannel.errors import AuthError, InvalidArgument, NotFound
from backchannel.models import Event, TokenInfo, User
from backchannel.models.events import to_workspace
from backchannel.router import Main, ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.realtime import events
from backchannel.services.tenancy.shared_refs import sharing_workspaces
from backchannel.services.validation import is_emoji_name
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import organisations as org_store
from backchannel.storage.shard import users
from backchannel.types import ts_at
from backchannel.wire import MAX_UNIX_TIME, user_json

# Field name -> longest value accepted. Other fields (custom "fields", images, the
# *_normalized copies...) are ignored rather than refused, so that a client may send back
# the whole profile it read, as Slack clients do.
TEXT_FIELDS = {
    "real_name": 250,
    "display_name": 80,
    "first_name": 250,
    "last_name": 250,
    "title": 250,
    "phone": 250,
    "skype": 250,
    "status_text": 100,
    "status_emoji": 100,
}
SETTABLE = frozenset(TEXT_FIELDS) | {"status_expiration"}
MAX_FIELDS = 50  # Slack's limit on one call


class InvalidProfile(InvalidArgument):
    slack_error = "invalid_profile"


def with_current_status(user: User, now: float) -> User:
    """The user as others see them now: a custom status past its expiration is gone."""
    expiration = _int(user.profile.get("status_expiration", 0))
    if expiration <= 0 or expiration > now:
        return user
    cleared = {**user.profile, "status_text": "", "status_emoji": "", "status_expiration": 0}
    return replace(user, profile=cleared)


async def set_profile(
    ctx: ServiceContext, caller: TokenInfo, changes: Mapping[str, Any], *, user_id: str | None
) -> User:
    """Apply `changes` to the caller's profile, or (for an admin) another member's."""
    if caller.kind == "bot":
        raise AuthError("a bot token cannot change profiles", slack_error="user_is_bot")
    checked = check_changes(changes)
    now = ctx.clock()
    person_id = user_id or caller.user_id
    if person_id != caller.user_id:
        await check_may_edit_person(ctx, caller, person_id)
    relay_to = await relay_targets(ctx, caller.workspace_id, person_id)
    async with ctx.router.write(ShardFor(caller.workspace_id)) as conn:
        actor = await acting_user_txn(conn, caller)
        target = actor
        if person_id != actor.id:
            target = await _seat_txn(conn, caller.workspace_id, person_id)
        updated = apply_changes(target, checked, now)
        await store_profile_txn(ctx, conn, updated, now, relay_to)
    await spread_to_other_seats(ctx, updated, now)
    return with_current_status(updated, now)


async def spread_to_other_seats(ctx: ServiceContext, stored: User, now: float) -> None:
    """A person's profile is the same in every workspace they sit in: copy what `stored` (the
    seat just changed, as stored) now has to their other seats, each announced in its own
    workspace. Each seat is its own transaction: a crash part-way leaves a seat one change
    behind until the next one (docs/organisations.md)."""
    if stored.is_bot:
        return
    async with ctx.router.read(Main()) as conn:
        seats = await org_store.seat_workspaces_txn(conn, stored.id)
    for workspace in seats:
        if workspace.id == stored.workspace_id:
            continue
        relay_to = await relay_targets(ctx, workspace.id, stored.id)
        async with ctx.router.write(ShardFor(workspace.id)) as conn:
            seat = await users.get_user_txn(conn, workspace.id, stored.id)
            if seat is None:
                continue
            copied = replace(
                seat,
                real_name=stored.real_name,
                display_name=stored.display_name,
                profile=stored.profile,
                updated=now,
            )
            await store_profile_txn(ctx, conn, copied, now, relay_to)


async def relay_targets(ctx: ServiceContext, workspace_id: str, person_id: str) -> tuple[str, ...]:
    """Where a change of the person's seat in `workspace_id` is relayed: the workspaces in a
    shared channel with them, less those they have a seat in, whose own seat's change (its
    team, its roles) is the one told there."""
    shared = await sharing_workspaces(ctx, workspace_id, person_id)
    if not shared:
        return ()
    async with ctx.router.read(Main()) as conn:
        seats = {workspace.id for workspace in await org_store.seat_workspaces_txn(conn, person_id)}
    return tuple(workspace for workspace in shared if workspace not in seats)


async def store_profile_txn(
    ctx: ServiceContext, conn: Transaction, user: User, now: float, relay_to: tuple[str, ...]
) -> None:
    """Store a seat's names and profile as `user` has them, and announce the change to its
    workspace, and (relayed) to `relay_to`: the workspaces in shared channels with them."""
    await users.update_profile_txn(conn, user)
    changed = user_changed(with_current_status(user, now), now, ctx.public_url)
    await events.append_txn(ctx, conn, replace(changed, relay_to=relay_to))


async def acting_user_txn(conn: Conn, caller: TokenInfo) -> User:
    """The token's person, who is changing a profile (or photo): refused once deactivated."""
    actor = await users.get_user_txn(conn, caller.workspace_id, caller.user_id)
    if actor is None or actor.deleted:
        raise AuthError("the token's user is deactivated", slack_error="account_inactive")
    return actor


def user_changed(user: User, now: float, base_url: str) -> Event:
    """user_change: the whole user as everybody in the workspace may see them."""
    payload = {
        "type": "user_change",
        "user": user_json(user, base_url),
        "event_ts": ts_at(now),
    }
    return to_workspace(user.workspace_id, payload)


async def check_may_edit_person(ctx: ServiceContext, caller: TokenInfo, person_id: str) -> None:
    """May the caller change another person's profile? It is one profile in all their seats
    (docs/organisations.md), so the change reaches every one and needs the right in each:
    an admin of the organisation has it for all its people (Slack's org admins); nobody
    else changes an organisation admin's; and otherwise the caller must have Slack's
    workspace right (check_may_edit) in every workspace the person sits in."""
    async with ctx.router.read(ShardFor(caller.workspace_id)) as conn:
        await acting_user_txn(conn, caller)
        await _seat_txn(conn, caller.workspace_id, person_id)
    async with ctx.router.read(Main()) as conn:
        seats = await org_store.seat_workspaces_txn(conn, person_id)
        org_id = next((w.org_id for w in seats if w.org_id is not None), None)
        if org_id is not None:
            if await org_store.is_org_admin_txn(conn, org_id, caller.user_id):
                return
            if await org_store.is_org_admin_txn(conn, org_id, person_id):
                raise AuthError(
                    "only an admin of the organisation may change the profile of one of its admins",
                    slack_error="cannot_update_admin_user",
                )
    for workspace_id in dict.fromkeys([caller.workspace_id, *(w.id for w in seats)]):
        async with ctx.router.read(ShardFor(workspace_id)) as conn:
            actor = await users.get_user_txn(conn, workspace_id, caller.user_id)
            seat = await users.get_user_txn(conn, workspace_id, person_id)
        if seat is not None:
            check_may_edit(actor, seat)


async def _seat_txn(conn: Conn, workspace_id: str, user_id: str) -> User:
    found = await users.get_user_txn(conn, workspace_id, user_id)
    if found is None:
        raise NotFound(f"no user {user_id}", slack_error="user_not_found")
    return found


def check_may_edit(actor: User | None, target: User) -> None:
    """Slack's rules in one workspace for changing someone else's seat there (`actor`: the
    caller's seat in it, if any)."""
    if actor is None or actor.deleted or not (actor.is_admin or actor.is_owner):
        raise AuthError(
            "only an admin of every workspace the member sits in may change their profile",
            slack_error="not_admin",
        )
    if target.is_bot and not actor.is_owner:
        raise AuthError("only owners may change a bot's profile", slack_error="not_app_admin")
    if (target.is_admin or target.is_owner) and not actor.is_owner:
        raise AuthError(
            "only an owner may change an admin's profile", slack_error="cannot_update_admin_user"
        )


def check_changes(changes: Mapping[str, Any]) -> dict[str, str | int]:
    """The settable fields of `changes`, each checked; invalid_profile names the bad one."""
    if len(changes) > MAX_FIELDS:
        raise InvalidProfile(f"at most {MAX_FIELDS} fields may be set at once, got {len(changes)}")
    checked: dict[str, str | int] = {}
    for name, value in changes.items():
        if name == "status_expiration":
            checked[name] = _check_expiration(value)
        elif name in TEXT_FIELDS:
            checked[name] = _check_text(name, value)
    if "real_name" in checked and not checked["real_name"]:
        raise InvalidProfile("real_name must not be empty")
    emoji = checked.get("status_emoji")
    if isinstance(emoji, str) and emoji and not _is_status_emoji(emoji):
        raise InvalidProfile(f"status_emoji must look like :smile:, got {emoji!r}")
    return checked


def _is_status_emoji(emoji: str) -> bool:
    """`:name:`, a name as a reaction's is (services/validation.py)."""
    return len(emoji) > 2 and emoji[0] == emoji[-1] == ":" and is_emoji_name(emoji[1:-1])


def apply_changes(user: User, checked: Mapping[str, str | int], now: float) -> User:
    """The user with the checked changes applied; real and first/last names kept in step."""
    profile = {**user.profile, **checked}
    first, _, last = user.real_name.partition(" ")
    real_name = user.real_name
    if "real_name" in checked:
        real_name = str(checked["real_name"])
        first, _, last = real_name.partition(" ")
        profile["first_name"] = checked.get("first_name", first)
        profile["last_name"] = checked.get("last_name", last)
    elif "first_name" in checked or "last_name" in checked:
        names = (profile.get("first_name", first), profile.get("last_name", last))
        real_name = " ".join(str(name) for name in names if name) or user.real_name
        if len(real_name) > TEXT_FIELDS["real_name"]:
            raise InvalidProfile("first_name and last_name together are over 250 characters")
    display_name = str(checked.get("display_name", user.display_name))
    profile.update(
        real_name=real_name,
        real_name_normalized=real_name,
        display_name=display_name,
        display_name_normalized=display_name,
    )
    return replace(
        user, real_name=real_name, display_name=display_name, profile=profile, updated=now
    )


def _check_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidProfile(f"{name} must be a string, got {type(value).__name__}")
    cleaned = " ".join(value.split())
    limit = TEXT_FIELDS[name]
    if len(cleaned) > limit:
        raise InvalidProfile(f"{name} must be at most {limit} characters, got {len(cleaned)}")
    return cleaned


def _check_expiration(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise InvalidProfile("status_expiration must be a unix time in seconds, got a boolean")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = -1
    if not 0 <= number <= MAX_UNIX_TIME:  # past it, no date library (nor orjson) follows
        raise InvalidProfile(
            f"status_expiration must be a unix time from 0 to {MAX_UNIX_TIME}, "
            f"got {str(value)[:40]!r}"
        )
    return number


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
