"""Importing a Slack export's people and bots into a workspace (docs/slack-export.md).

Each Slack user becomes a person (or a bot user with its bot) of the workspace, with no
password and no token: nobody signs in as them until an admin gives them credentials. A
person whose email someone of the workspace already has *is* that someone: their messages
are theirs. A batch of users is one change of the main DB (seats, sign-in emails) and the
shard (the users, what each Slack id became, their team_join events).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from backchannel.errors import InvalidArgument
from backchannel.interop.slack_export.records import SlackUser
from backchannel.interop.slack_export.state import ImportSummary, Maps, Progress
from backchannel.models import Bot, User, Workspace
from backchannel.router import ShardFor, Transaction
from backchannel.services.context import ServiceContext
from backchannel.services.crossdb import Undo, main_then_shards
from backchannel.services.people.users import free_handle_txn, new_profile, team_join, undo_new_user
from backchannel.services.realtime import events
from backchannel.services.validation import check_email, handle_from_name
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import credentials as credential_store
from backchannel.storage.main import organisations as org_store
from backchannel.storage.shard import imports
from backchannel.storage.shard import users as store
from backchannel.types import BOT, USER, new_keyed_id

USER_BATCH = 200


@dataclass
class _Batch:
    """What one batch made, applied to the maps and the summary once it committed."""

    people: list[tuple[SlackUser, User]] = field(default_factory=list)
    bots: list[tuple[str, Bot]] = field(default_factory=list)  # (Slack B id, ours)
    matched: list[tuple[SlackUser, User]] = field(default_factory=list)  # by email
    renamed: list[tuple[str, str]] = field(default_factory=list)


async def import_users(
    ctx: ServiceContext,
    target: Workspace,
    people: Sequence[SlackUser],
    maps: Maps,
    summary: ImportSummary,
    tell: Progress,
) -> None:
    pending = [p for p in people if p.id not in maps.users]
    summary.count("users", present=len(people) - len(pending))
    for start in range(0, len(pending), USER_BATCH):
        batch = await _import_batch(ctx, target, pending[start : start + USER_BATCH])
        for slack_user, user in batch.people + batch.matched:
            maps.users[slack_user.id] = user.id
        maps.bots.update((slack_id, bot.id) for slack_id, bot in batch.bots)
        summary.count("users", imported=len(batch.people), present=len(batch.matched))
        for slack_user, user in batch.matched:
            summary.note(f"{slack_user.id} ({slack_user.email}) is @{user.name}, already here")
        for wanted, given in batch.renamed:
            summary.note(f"the name @{wanted} was taken: imported as @{given}")
        tell("users", min(start + USER_BATCH, len(pending)), len(pending))
    maps.learn_bots(list(people))


async def _import_batch(
    ctx: ServiceContext, target: Workspace, pending: Sequence[SlackUser]
) -> _Batch:
    batch = _Batch()
    now = ctx.clock()
    async with main_then_shards(ctx) as (main_conn, open_shard):
        undo = _undo(ctx, target.id, batch)
        async with open_shard(ShardFor(target.id), undo) as conn:
            for slack_user in pending:
                await _import_one_txn(ctx, conn, target, slack_user, batch, now)
            made = batch.people + batch.matched
            pairs = [(slack_user.id, user.id) for slack_user, user in made]
            await imports.record_ids_txn(conn, target.id, imports.USER, pairs, now)
            bots = [(slack_id, bot.id) for slack_id, bot in batch.bots]
            await imports.record_ids_txn(conn, target.id, imports.BOT, bots, now)
        for _, user in batch.people:
            await _sign_in_rows_txn(main_conn, user, now)
    return batch


async def _import_one_txn(
    ctx: ServiceContext,
    conn: Transaction,
    target: Workspace,
    slack_user: SlackUser,
    batch: _Batch,
    now: float,
) -> None:
    email = _email(slack_user.email)
    if email is not None and not slack_user.is_bot:
        same = await store.find_user_by_email_txn(conn, target.id, email)
        if same is not None:
            batch.matched.append((slack_user, same))
            return
    wanted = _handle(slack_user.name, slack_user.id)
    handle = await free_handle_txn(conn, target.id, wanted)
    if handle != wanted:
        batch.renamed.append((wanted, handle))
    user = _person(target, slack_user, handle, email, now)
    await store.insert_user_txn(conn, user)
    if slack_user.is_bot:
        assert user.bot_id is not None
        bot = Bot(user.bot_id, target.id, user.id, user.real_name[:80], user.deleted, now)
        await store.insert_bot_txn(conn, bot)
        if slack_user.bot_id is not None:
            batch.bots.append((slack_user.bot_id, bot))
    await events.append_txn(ctx, conn, team_join(user, ctx.public_url))
    batch.people.append((slack_user, user))


async def _sign_in_rows_txn(main_conn: Conn, user: User, now: float) -> None:
    """A person's seat, and their email as a sign-in with no password (none for bots)."""
    if user.is_bot:
        return
    await org_store.add_seat_txn(main_conn, user.id, user.workspace_id, now)
    if user.email is not None and not await credential_store.email_taken_txn(
        main_conn, user.workspace_id, user.email
    ):
        await credential_store.insert_credential_txn(
            main_conn,
            user_id=user.id,
            workspace_id=user.workspace_id,
            email=user.email,
            password_hash=None,
        )


def _undo(ctx: ServiceContext, workspace_id: str, batch: _Batch) -> Undo:
    """The shard's half of a batch whose main DB write failed: its people go again."""

    async def undo(conn: Transaction) -> None:
        for _, user in batch.people:
            await undo_new_user(ctx, user)(conn)
        made = [slack_user.id for slack_user, _ in batch.people + batch.matched]
        await imports.forget_ids_txn(conn, workspace_id, imports.USER, made)
        bots = [slack_id for slack_id, _ in batch.bots]
        await imports.forget_ids_txn(conn, workspace_id, imports.BOT, bots)

    return undo


def _person(
    target: Workspace, slack_user: SlackUser, handle: str, email: str | None, now: float
) -> User:
    real_name = " ".join(slack_user.real_name.split())[:250] or handle
    display_name = " ".join(slack_user.display_name.split())[:250]
    profile = {
        **new_profile(real_name, email),
        **slack_user.profile,
        "display_name": display_name,
        "display_name_normalized": display_name,
    }
    bot_id = new_keyed_id(BOT, target.keyspace) if slack_user.is_bot else None
    if bot_id is not None:
        profile.update(bot_id=bot_id, always_active=True)
    return User(
        id=new_keyed_id(USER, target.keyspace),
        workspace_id=target.id,
        name=handle,
        real_name=real_name,
        display_name=display_name,
        email=None if slack_user.is_bot else email,
        is_admin=slack_user.is_admin,
        is_owner=slack_user.is_owner,
        is_bot=slack_user.is_bot,
        bot_id=bot_id,
        deleted=slack_user.deleted,
        tz=slack_user.tz,
        profile=profile,
        updated=now,
    )


async def placeholder_txn(
    ctx: ServiceContext, conn: Transaction, target: Workspace, slack_id: str, now: float
) -> User:
    """A deactivated stand-in for an author users.json does not list, so that what they
    said is kept; recorded like anyone imported, so later runs reuse it."""
    handle = await free_handle_txn(conn, target.id, _handle(f"unknown-{slack_id}", slack_id))
    unknown = SlackUser(
        id=slack_id,
        name=handle,
        real_name=f"Unknown Slack user {slack_id}",
        display_name="",
        email=None,
        tz="UTC",
        is_admin=False,
        is_owner=False,
        is_bot=False,
        bot_id=None,
        deleted=True,
        profile={},
    )
    user = _person(target, unknown, handle, None, now)
    await store.insert_user_txn(conn, user)
    await imports.record_ids_txn(conn, target.id, imports.USER, [(slack_id, user.id)], now)
    await events.append_txn(ctx, conn, team_join(user, ctx.public_url))
    return user


def _handle(name: str, slack_id: str) -> str:
    try:
        return handle_from_name(name)
    except InvalidArgument:  # a name of no latin letters or digits
        return handle_from_name(f"user-{slack_id}")


def _email(email: str | None) -> str | None:
    if email is None:
        return None
    try:
        return check_email(email)
    except InvalidArgument:
        return None
