"""Who is calling: tokens in, TokenInfo out; passwords in, tokens out.

A browser session (the web client) is Slack's pair: an xoxc token the page sends with each
call, and an http-only cookie the browser sends. The token alone is refused, so a script
injected into a page cannot carry a session away, and the cookie alone is not enough for a
forged cross-site request (it cannot read or send the token).
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass

from backchannel.errors import AuthError, InvalidArgument, NotFound
from backchannel.models import TokenInfo
from backchannel.router import Main
from backchannel.services.context import ServiceContext
from backchannel.services.identity import credentials as creds
from backchannel.services.identity import revocation
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.services.validation import check_email
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import credentials as store
from backchannel.storage.main import organisations as org_store


async def authenticate(
    ctx: ServiceContext, token: str | None, session_cookie: str | None = None
) -> TokenInfo:
    """The caller behind a token (and, for a browser session's token, its cookie);
    not_authed, invalid_auth or token_revoked otherwise."""
    found = await _live_token(ctx, token)
    if found.session_hash is not None and not _cookie_matches(found.session_hash, session_cookie):
        raise AuthError("a browser token needs its session cookie", slack_error="invalid_auth")
    return found.info


async def authenticate_browser(
    ctx: ServiceContext, token: str | None, session_cookie: str | None
) -> TokenInfo:
    """The caller behind a browser session: an xoxc token with the cookie it is bound to.
    An API token is refused whatever cookie comes with it (not_allowed_token_type)."""
    found = await _live_token(ctx, token)
    if found.session_hash is None:
        raise AuthError("only a browser session may do this", slack_error="not_allowed_token_type")
    if not _cookie_matches(found.session_hash, session_cookie):
        raise AuthError("a browser token needs its session cookie", slack_error="invalid_auth")
    return found.info


async def _live_token(ctx: ServiceContext, token: str | None) -> store.StoredToken:
    if not token:
        raise AuthError("no token was given", slack_error="not_authed")
    token_hash = creds.hash_token(token)
    found = ctx.tokens.get(token_hash, ctx.clock())
    if found is None:
        async with ctx.router.read(Main()) as conn:
            found = await store.stored_token_txn(conn, token_hash)
        if found is not None:
            ctx.tokens.put(token_hash, found, ctx.clock())
    if found is None:
        raise AuthError("the token is not valid", slack_error="invalid_auth")
    if found.revoked:
        raise AuthError("the token was revoked", slack_error="token_revoked")
    return found


def _cookie_matches(session_hash: str, cookie: str | None) -> bool:
    return cookie is not None and hmac.compare_digest(session_hash, creds.hash_token(cookie))


async def issue_token(ctx: ServiceContext, info: TokenInfo) -> str:
    token = creds.new_token(info.kind)
    async with ctx.router.write(Main()) as conn:
        await store.insert_token_txn(
            conn, token_hash=creds.hash_token(token), info=info, now=ctx.clock()
        )
    return token


async def sign_in(ctx: ServiceContext, *, workspace: str, email: str, password: str) -> str:
    """A new user token for a correct email and password; one error for every wrong case."""
    account = await _check_password(ctx, workspace, email, password)
    return await issue_token(ctx, TokenInfo(account.user_id, account.workspace_id, "user"))


@dataclass(frozen=True)
class BrowserSession:
    caller: TokenInfo
    token: str  # xoxc-..., kept by the page
    cookie: str  # the http-only cookie's value


async def start_browser_session(
    ctx: ServiceContext,
    *,
    workspace: str | None,
    email: str,
    password: str,
    cookie: str | None = None,
) -> BrowserSession:
    """Sign in from the web client. Without a workspace, the first seat of the email's one
    person with this password; workspace_required when several people share the email.

    A browser keeps one cookie, as Slack's `d`, for everyone signed in in it: a sign-in
    sent with a cookie someone is still signed in with joins it, instead of replacing it
    (which would sign them out)."""
    account = await _check_password(ctx, workspace, email, password)
    caller = TokenInfo(account.user_id, account.workspace_id, "user")
    async with ctx.router.write(Main()) as conn:
        if cookie is None or not await store.session_tokens_txn(conn, creds.hash_token(cookie)):
            cookie = creds.new_session_cookie()
        return await _new_session_txn(ctx, conn, caller, cookie)


async def end_browser_session(ctx: ServiceContext, token: str | None, cookie: str | None) -> None:
    """Sign out: the person's every token on this browser's cookie (each tab, each
    workspace) is revoked and their sockets close; the others signed in in it stay."""
    caller = await authenticate_browser(ctx, token, cookie)
    assert cookie is not None, "a browser session came with its cookie"
    async with ctx.router.read(Main()) as conn:
        bound = await store.session_tokens_txn(conn, creds.hash_token(cookie))
    theirs = [info.token_hash for info in bound if info.user_id == caller.user_id]
    await revocation.revoke(ctx, [token_hash for token_hash in theirs if token_hash is not None])


async def browser_session_in_use(ctx: ServiceContext, cookie: str | None) -> bool:
    """Is anyone still signed in with this cookie?"""
    if not cookie:
        return False
    async with ctx.router.read(Main()) as conn:
        return bool(await store.session_tokens_txn(conn, creds.hash_token(cookie)))


async def switch_browser_session(
    ctx: ServiceContext, token: str | None, cookie: str | None, *, workspace: str
) -> BrowserSession:
    """The web client's workspace switcher: a session token for another workspace the
    person sits in, bound to the same cookie (the browser keeps one sign-in). Only a
    browser session switches: an API token would otherwise mint browser tokens."""
    current = await authenticate_browser(ctx, token, cookie)
    assert cookie is not None, "a browser session came with its cookie"
    target = await find_workspace(ctx, workspace)
    async with ctx.router.write(Main()) as conn:
        seats = await org_store.seat_workspaces_txn(conn, current.user_id)
        if target.id not in {seat.id for seat in seats}:
            raise AuthError(
                f"{current.user_id} has no seat in {target.id}",
                slack_error="team_access_not_granted",
            )
        caller = TokenInfo(current.user_id, target.id, "user")
        return await _new_session_txn(ctx, conn, caller, cookie)


async def _new_session_txn(
    ctx: ServiceContext, conn: Conn, caller: TokenInfo, cookie: str
) -> BrowserSession:
    """A new xoxc token for `caller` that works only with this cookie."""
    token = creds.new_token("client")
    await store.insert_token_txn(
        conn,
        token_hash=creds.hash_token(token),
        info=caller,
        now=ctx.clock(),
        session_hash=creds.hash_token(cookie),
    )
    return BrowserSession(caller, token, cookie)


async def _check_password(
    ctx: ServiceContext, workspace: str | None, email: str, password: str
) -> store.Account:
    """The account these credentials open; one error for every wrong email or password."""
    address = check_email(email)
    workspace_id = (await find_workspace(ctx, workspace)).id if workspace else None
    async with ctx.router.read(Main()) as conn:
        accounts = await store.accounts_for_email_txn(conn, address)
    candidates = [a for a in accounts if workspace_id in (None, a.workspace_id)]
    # Verify against every candidate, and a decoy when there is none, so the time taken
    # does not tell which emails have accounts.
    # argon2 takes tens of milliseconds of CPU on purpose: off the event loop.
    opened = [a for a in candidates if await asyncio.to_thread(_password_opens, a, password)]
    if not candidates:
        await asyncio.to_thread(creds.verify_decoy, password)
    if not opened:
        raise AuthError("wrong email or password", slack_error="invalid_credentials")
    if len({account.user_id for account in opened}) > 1:
        raise InvalidArgument(
            "this email signs in to several workspaces: name one",
            slack_error="workspace_required",
        )
    return opened[0]


def _password_opens(account: store.Account, password: str) -> bool:
    return account.password_hash is not None and creds.verify_password(
        account.password_hash, password
    )


async def set_password(ctx: ServiceContext, *, workspace: str, email: str, password: str) -> str:
    """An admin gives a person of the workspace (id or domain) a password, e.g. someone an
    import brought in without one; the person's user id."""
    email = check_email(email)
    password_hash = await asyncio.to_thread(creds.hash_password, creds.check_password(password))
    target = await find_workspace(ctx, workspace)
    async with ctx.router.write(Main()) as conn:
        user_id = await store.set_password_txn(conn, target.id, email, password_hash)
    if user_id is None:
        raise NotFound(
            f"nobody signs in to {target.domain} as {email}", slack_error="users_not_found"
        )
    return user_id


async def revoke(ctx: ServiceContext, token: str) -> bool:
    """auth.revoke: the token stops working, and its sockets close
    (services/identity/revocation.py)."""
    return bool(await revocation.revoke(ctx, [creds.hash_token(token)]))


async def token_is_live(ctx: ServiceContext, token_hash: str) -> bool:
    """Is the token (by its hash) still good? Read from the main DB, not the cache: for a
    ticket, whose token may have been revoked by another process a moment ago."""
    async with ctx.router.read(Main()) as conn:
        found = await store.stored_token_txn(conn, token_hash)
    return found is not None and not found.revoked
