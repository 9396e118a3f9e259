"""People, bots, credentials and tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from backchannel.errors import AlreadyExists, AuthError, InvalidArgument
from backchannel.router import Main, ShardFor
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.people import directory, users
from backchannel.services.tenancy.workspaces import GENERAL
from backchannel.storage.schema import credentials, tokens
from backchannel.storage.schema import users as user_table
from backchannel.storage.shard.channels import general_channel_txn
from backchannel.storage.shard.memberships import is_member_txn
from tests.conftest import Acme


async def test_a_new_person_has_a_working_token_and_is_in_general(
    ctx: ServiceContext, acme: Acme
) -> None:
    assert acme.alice.token.startswith("xoxp-")
    info = await auth.authenticate(ctx, acme.alice.token)
    assert (info.user_id, info.workspace_id, info.kind) == (
        acme.alice.user.id,
        acme.workspace.id,
        "user",
    )
    caller = await directory.describe_caller(ctx, info)
    assert caller.user.name == "alice" and caller.user.is_admin
    assert caller.workspace.domain == "acme"
    async with ctx.router.read(ShardFor(acme.workspace.id)) as conn:
        general_channel = await general_channel_txn(conn, acme.workspace.id)
        assert general_channel is not None and general_channel.name == GENERAL
        assert await is_member_txn(conn, general_channel.id, acme.bob.user.id)


async def test_tokens_and_passwords_are_stored_hashed(ctx: ServiceContext, acme: Acme) -> None:
    carol = await users.create_user(
        ctx, workspace="acme", email="carol@acme.test", name="Carol", password="carol-pass"
    )
    async with ctx.router.read(Main()) as conn:
        stored_tokens = (await conn.execute(select(tokens))).all()
        stored_credentials = (await conn.execute(select(credentials))).all()
    everything = repr(stored_tokens) + repr(stored_credentials)
    assert carol.token not in everything
    assert carol.token.split("-", 1)[1] not in everything
    assert "carol-pass" not in everything
    stored = next(row for row in stored_credentials if row.user_id == carol.user.id)
    assert stored.password_hash.startswith("$argon2id$")
    bob = next(row for row in stored_credentials if row.user_id == acme.bob.user.id)
    assert bob.password_hash is None


async def test_sign_in_with_the_right_password_only(
    ctx: ServiceContext, acme: Acme, alice_password: str
) -> None:
    token = await auth.sign_in(
        ctx, workspace="acme", email="ALICE@acme.test", password=alice_password
    )
    assert (await auth.authenticate(ctx, token)).user_id == acme.alice.user.id
    for email, password in [
        ("alice@acme.test", "wrong-pass"),
        ("bob@acme.test", "anything"),
        ("nobody@acme.test", "alice-pass"),
    ]:
        with pytest.raises(AuthError) as refused:
            await auth.sign_in(ctx, workspace="acme", email=email, password=password)
        assert refused.value.slack_error == "invalid_credentials"


async def test_revoked_and_unknown_tokens_are_refused(ctx: ServiceContext, acme: Acme) -> None:
    assert await auth.revoke(ctx, acme.bob.token)
    for token, expected in [
        (acme.bob.token, "token_revoked"),
        ("xoxp-nope", "invalid_auth"),
        (None, "not_authed"),
        ("", "not_authed"),
    ]:
        with pytest.raises(AuthError) as refused:
            await auth.authenticate(ctx, token)
        assert refused.value.slack_error == expected


async def test_a_duplicate_email_is_refused_and_nothing_is_half_made(
    ctx: ServiceContext, acme: Acme
) -> None:
    async def counts() -> tuple[int, int, int]:
        async with ctx.router.read(Main()) as conn:
            creds = await conn.scalar(select(func.count()).select_from(credentials))
            toks = await conn.scalar(select(func.count()).select_from(tokens))
        async with ctx.router.read(ShardFor(acme.workspace.id)) as conn:
            people = await conn.scalar(select(func.count()).select_from(user_table))
        return int(creds or 0), int(toks or 0), int(people or 0)

    before = await counts()
    with pytest.raises(AlreadyExists) as taken:
        await users.create_user(ctx, workspace="acme", email="Bob@Acme.test", name="Bobby")
    assert taken.value.slack_error == "email_taken"
    # The name is taken on the shard after the main DB accepted the email: both roll back.
    with pytest.raises(AlreadyExists) as name_taken:
        await users.create_user(ctx, workspace="acme", email="bob2@acme.test", name="Bob")
    assert name_taken.value.slack_error == "name_taken"
    assert await counts() == before


async def test_a_bot_has_a_bot_id_and_a_bot_token(ctx: ServiceContext, acme: Acme) -> None:
    made = await users.create_bot(ctx, workspace=acme.workspace.id, name="Deploy Bot")
    assert made.token.startswith("xoxb-") and made.bot.id.startswith("B")
    info = await auth.authenticate(ctx, made.token)
    assert (info.kind, info.user_id) == ("bot", made.user.id)
    bot_user = await directory.get_user(ctx, acme.workspace.id, made.user.id)
    assert bot_user.is_bot and bot_user.bot_id == made.bot.id and bot_user.name == "deploy.bot"


@pytest.mark.parametrize(
    ("email", "name", "password", "error"),
    [
        ("not-an-email", "X", None, "invalid_email"),
        ("x@acme.test", "  ", None, "invalid_arguments"),
        ("x@acme.test", "X", "short", "invalid_password"),
        ("x@acme.test", "!!!", None, "invalid_name"),
    ],
)
async def test_bad_user_input_is_refused(
    ctx: ServiceContext, acme: Acme, email: str, name: str, password: str | None, error: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await users.create_user(ctx, workspace="acme", email=email, name=name, password=password)
    assert refused.value.slack_error == error


async def test_a_failed_main_commit_undoes_the_shard_write(ctx: ServiceContext, acme: Acme) -> None:
    """The main DB commits last; when that commit fails the shard's rows are removed."""
    failures = []

    def fail_once(_conn: object) -> None:
        if not failures:
            failures.append("commit refused")
            raise RuntimeError("injected: the main DB's commit fails")

    main_engine = ctx.router.main.sync_engine
    event.listen(main_engine, "commit", fail_once)
    try:
        with pytest.raises(RuntimeError, match="injected"):
            await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
    finally:
        event.remove(main_engine, "commit", fail_once)
    async with ctx.router.read(ShardFor(acme.workspace.id)) as conn:
        names = (await conn.execute(select(user_table.c.name))).scalars().all()
    assert sorted(names) == ["alice", "bob"]
    async with ctx.router.read(Main()) as conn:
        emails = (await conn.execute(select(credentials.c.email))).scalars().all()
    assert sorted(emails) == ["alice@acme.test", "bob@acme.test"]
    # And the same person can be created afterwards.
    await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
