"""The web client: its page and files, and the browser's sign-in and sign-out.

The client (`webclient/`, plain ES modules, no build step) talks to the same Web API and
RTM websocket as every SDK. A browser session is an xoxc token the page keeps plus an
http-only cookie (services/identity/auth.py says why). See docs/web-client.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backchannel.errors import AuthError, InvalidArgument
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.validation import check_email
from backchannel.webapp.params import bearer_token, client_address, read_params
from backchannel.webapp.ratelimit import RateLimiter, retry_after_header
from backchannel.webapp.responses import SlackResponse, answering_errors, error, ok

CLIENT_DIR = Path(__file__).parents[1] / "webclient"
SESSION_COOKIE = "d"  # Slack's name for it
SESSION_DAYS = 30
# The page runs only its own files; websockets may go to the edge's port or host.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated by ETag: a new release shows at once
}


def browser_routes(ctx: ServiceContext, limiter: RateLimiter | None = None) -> list[Route | Mount]:
    async def page(request: Request) -> Response:
        return FileResponse(CLIENT_DIR / "index.html", headers=PAGE_HEADERS)

    async def sign_in(request: Request) -> SlackResponse:
        return await answering_errors("auth.signin", _sign_in(ctx, limiter, request))

    async def sign_out(request: Request) -> SlackResponse:
        return await answering_errors("auth.signout", _sign_out(ctx, request))

    async def switch(request: Request) -> SlackResponse:
        return await answering_errors("auth.switch", _switch(ctx, request))

    return [
        Route("/", page, methods=["GET"]),
        # Permalinks (chat.getPermalink, search.messages): the client opens what they name.
        Route("/archives/{link:path}", page, methods=["GET"]),
        Route("/auth/signin", sign_in, methods=["POST"]),
        Route("/auth/signout", sign_out, methods=["POST"]),
        Route("/auth/switch", switch, methods=["POST"]),
        Mount(
            "/client",
            app=_with_headers(StaticFiles(directory=CLIENT_DIR, check_dir=False), PAGE_HEADERS),
        ),
    ]


async def _sign_in(
    ctx: ServiceContext, limiter: RateLimiter | None, request: Request
) -> SlackResponse:
    _check_origin(request)
    params = await read_params(request)
    # Normalised once, here: the limit and the sign-in must see the same account.
    email, password = check_email(_text(params, "email")), _text(params, "password")
    if limiter is not None:
        # Per address and per account: guessing passwords is slow from anywhere.
        for who in (f"ip:{client_address(request)}", f"email:{email}"):
            wait = limiter.check("auth.signin", who)
            if wait is not None:
                return error("ratelimited", status=429, headers=retry_after_header(wait))
    workspace = params.get("workspace")
    session = await auth.start_browser_session(
        ctx,
        workspace=workspace.strip() if isinstance(workspace, str) and workspace.strip() else None,
        email=email,
        password=password,
        cookie=request.cookies.get(SESSION_COOKIE),
    )
    reply = ok(
        token=session.token,
        user_id=session.caller.user_id,
        team_id=session.caller.workspace_id,
    )
    reply.set_cookie(
        SESSION_COOKIE,
        session.cookie,
        max_age=SESSION_DAYS * 24 * 3600,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return reply


async def _sign_out(ctx: ServiceContext, request: Request) -> SlackResponse:
    """Sign the tab's person out of this browser (services/identity/auth.py says what goes); the
    cookie is dropped once nobody is signed in with it, even when the token was gone
    already, so a browser never keeps a dead session."""
    _check_origin(request)
    token = bearer_token(request, await read_params(request))
    cookie = request.cookies.get(SESSION_COOKIE)
    reply: SlackResponse
    try:
        await auth.end_browser_session(ctx, token, cookie)
    except AuthError as exc:
        reply = error(exc.slack_error)
    else:
        reply = ok()
    if not await auth.browser_session_in_use(ctx, cookie):
        reply.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return reply


async def _switch(ctx: ServiceContext, request: Request) -> SlackResponse:
    """The workspace switcher: {workspace} with the session's token and cookie answers a
    token for the same person in that workspace (the cookie stays)."""
    _check_origin(request)
    params = await read_params(request)
    session = await auth.switch_browser_session(
        ctx,
        bearer_token(request, params),
        request.cookies.get(SESSION_COOKIE),
        workspace=_text(params, "workspace"),
    )
    return ok(
        token=session.token,
        user_id=session.caller.user_id,
        team_id=session.caller.workspace_id,
    )


def _check_origin(request: Request) -> None:
    """A browser says where a POST comes from: only the client's own pages may sign in or
    out (no signing a visitor in to the attacker's account from another site)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise AuthError(f"requests from {origin} are not accepted", slack_error="invalid_origin")


def _text(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{name} is required", slack_error="invalid_arguments")
    return value


def _with_headers(app: ASGIApp, headers: dict[str, str]) -> ASGIApp:
    """`app`, with `headers` added to each of its responses."""
    extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
