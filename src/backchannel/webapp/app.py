"""The Starlette application of the webapp role."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from backchannel.services import ServiceContext
from backchannel.services.auth import authenticate
from backchannel.webapp import methods  # noqa: F401  (registers every method)
from backchannel.webapp.avatars import avatar_routes
from backchannel.webapp.browser import SESSION_COOKIE, browser_routes
from backchannel.webapp.openapi import openapi_route
from backchannel.webapp.params import bearer_token, client_address, read_params
from backchannel.webapp.ratelimit import RateLimiter, retry_after_header
from backchannel.webapp.registry import METHODS, Call, Method
from backchannel.webapp.responses import SlackResponse, answering_errors, error
from backchannel.webapp.webhooks import webhook_routes


def api_routes(
    ctx: ServiceContext, base_url: str, limiter: RateLimiter | None = None
) -> list[Route]:
    async def dispatch(request: Request) -> SlackResponse:
        name = request.path_params["method"]
        method = METHODS.get(name)
        if method is None:
            return error("unknown_method", status=404, req_method=name)
        return await answering_errors(name, call(request, name, method))

    async def call(request: Request, name: str, method: Method) -> SlackResponse:
        params = await read_params(request)
        token = bearer_token(request, params)
        auth = None
        if method.needs_auth:
            auth = await authenticate(ctx, token, request.cookies.get(SESSION_COOKIE))
        if limiter is not None:
            who = f"{auth.workspace_id}:{auth.user_id}" if auth else client_address(request)
            channel = params.get("channel")
            wait = limiter.check(name, who, channel if isinstance(channel, str) else None)
            if wait is not None:
                return error("ratelimited", status=429, headers=retry_after_header(wait))
        return await method.handler(Call(ctx, params, auth, base_url, token))

    return [openapi_route(), Route("/api/{method}", dispatch, methods=["GET", "POST"])]


async def _http_error(request: Request, exc: Exception) -> Response:
    """Under /api/, even a wrong HTTP verb or path gets a Slack-shaped JSON answer."""
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith("/api/"):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    code = "method_not_allowed" if exc.status_code == 405 else "unknown_method"
    return error(code, status=exc.status_code, headers=dict(exc.headers or {}))


def create_webapp(
    ctx: ServiceContext,
    base_url: str,
    *,
    rate_limiter: RateLimiter | None = None,
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    routes = [
        *api_routes(ctx, base_url, rate_limiter),
        *webhook_routes(ctx),
        *avatar_routes(ctx),
        *browser_routes(ctx, rate_limiter),
    ]
    return Starlette(
        routes=routes, exception_handlers={HTTPException: _http_error}, lifespan=lifespan
    )
