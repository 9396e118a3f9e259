"""Who is calling: tokens in, TokenInfo out; passwords in, tokens out."""

from __future__ import annotations

from backchannel.errors import AuthError
from backchannel.models import TokenInfo
from backchannel.router import Main
from backchannel.services import credentials as creds
from backchannel.services.context import ServiceContext
from backchannel.services.validation import check_email
from backchannel.services.workspaces import find_workspace
from backchannel.storage import credentials as store


async def authenticate(ctx: ServiceContext, token: str | None) -> TokenInfo:
    """The caller behind a token; not_authed, invalid_auth or token_revoked otherwise."""
    if not token:
        raise AuthError("no token was given", slack_error="not_authed")
    token_hash = creds.hash_token(token)
    found = ctx.tokens.get(token_hash, ctx.clock())
    if found is None:
        async with ctx.router.read(Main()) as conn:
            found = await store.token_info_txn(conn, token_hash)
        if found is not None:
            ctx.tokens.put(token_hash, *found, ctx.clock())
    if found is None:
        raise AuthError("the token is not valid", slack_error="invalid_auth")
    info, revoked = found
    if revoked:
        raise AuthError("the token was revoked", slack_error="token_revoked")
    return info


async def issue_token(ctx: ServiceContext, info: TokenInfo) -> str:
    token = creds.new_token(info.kind)
    async with ctx.router.write(Main()) as conn:
        await store.insert_token_txn(
            conn, token_hash=creds.hash_token(token), info=info, now=ctx.clock()
        )
    return token


async def sign_in(ctx: ServiceContext, *, workspace: str, email: str, password: str) -> str:
    """A new user token for a correct email and password; one error for every wrong case."""
    failure = AuthError("wrong email or password", slack_error="invalid_credentials")
    target = await find_workspace(ctx, workspace)
    async with ctx.router.read(Main()) as conn:
        found = await store.password_hash_for_txn(conn, target.id, check_email(email))
    if found is None or found[1] is None or not creds.verify_password(found[1], password):
        raise failure
    return await issue_token(ctx, TokenInfo(found[0], target.id, "user"))


async def revoke(ctx: ServiceContext, token: str) -> bool:
    token_hash = creds.hash_token(token)
    async with ctx.router.write(Main()) as conn:
        revoked = await store.revoke_token_txn(conn, token_hash, ctx.clock())
    ctx.tokens.forget(token_hash)
    return revoked
