"""The Starlette application of the webapp role (docs/webapp.md; its /metrics:
docs/metrics.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import Lifespan, Receive, Scope, Send

from backchannel.metrics import CONTENT_TYPE, UNKNOWN_METHOD, Metrics
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.identity.auth import authenticate
from backchannel.webapp import (
    methods,  # noqa: F401  (registers every method)
    scopes,
)
from backchannel.webapp.avatars import avatar_routes
from backchannel.webapp.browser import SESSION_COOKIE, browser_routes
from backchannel.webapp.files import file_routes
from backchannel.webapp.openapi import openapi_route
from backchannel.webapp.params import bearer_token, client_address, read_params
from backchannel.webapp.ratelimit import RateLimiter, retry_after_header
from backchannel.webapp.registry import METHODS, Call, Method
from backchannel.webapp.responses import SlackResponse, answering_errors, error
from backchannel.webapp.webhooks import webhook_routes

calls_log = logging.getLogger("backchannel.webapp")
VERBS = ("GET", "HEAD", "POST")  # a Web API call's; Slack's documents GET and POST


def api_routes(
    ctx: ServiceContext, base_url: str, metrics: Metrics, limiter: RateLimiter | None = None
) -> list[Route]:
    async def dispatch(request: Request) -> SlackResponse:
        started = time.perf_counter()
        name = request.path_params["method"]
        method = METHODS.get(name)
        if method is None:
            # As Slack: HTTP 200 (Slack's SDKs retry other statuses), whatever the verb and
            # before the token is looked at. docs/webapp.md#replies
            reply = error("unknown_method", req_method=name)
            name = UNKNOWN_METHOD  # not the name asked for: anyone can make up new ones
        elif request.method not in VERBS:
            reply = error("method_not_allowed", status=405, headers={"Allow": ", ".join(VERBS)})
        else:
            reply = await answering_errors(name, call(request, name, method))
            # Every reply to an authenticated call, refusals and errors too, as Slack's.
            reply.headers.update(getattr(request.state, "scope_headers", {}))
        seconds = time.perf_counter() - started
        metrics.api_call(name, reply.slack_error or "ok", seconds)
        if calls_log.isEnabledFor(logging.INFO):
            _log_call(request, name, reply, seconds)
        return reply

    async def call(request: Request, name: str, method: Method) -> SlackResponse:
        params = await read_params(request)
        token = bearer_token(request, params)
        auth = None
        if method.needs_auth:
            auth = await authenticate(ctx, token, request.cookies.get(SESSION_COOKIE))
            request.state.caller = auth  # for the log of calls
            accepted = scopes.accepts(name)
            request.state.scope_headers = scopes.headers(auth, accepted, METHODS)
            refused = scopes.refusal(auth, accepted)
            if refused is not None:
                return refused
        if limiter is not None:
            who = f"{auth.workspace_id}:{auth.user_id}" if auth else client_address(request)
            channel = params.get("channel")
            wait = limiter.check(name, who, channel if isinstance(channel, str) else None)
            if wait is not None:
                return error("ratelimited", status=429, headers=retry_after_header(wait))
        return await method.handler(Call(ctx, params, auth, base_url, token))

    # Every path under /api/ (but GET /api/openapi.json) is a method's name, known or not,
    # whatever the verb (QUERY or a made-up one too): dispatch answers each in Slack's JSON.
    return [openapi_route(), Route("/api/{method:path}", EveryVerb(dispatch))]


class EveryVerb:
    """An endpoint that Starlette routes whatever the HTTP verb: it routes a function
    endpoint only for the verbs listed, and answers others in plain text."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._app = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _log_call(request: Request, name: str, reply: SlackResponse, seconds: float) -> None:
    """One line per call at info level: the method and its outcome, never its arguments
    (they may hold tokens, passwords or message text). docs/configuration.md#logs"""
    caller: TokenInfo | None = getattr(request.state, "caller", None)
    calls_log.info(
        "api call",
        extra={
            "method": name,
            "status": reply.status_code,
            "error": reply.slack_error,
            "ms": round(seconds * 1000, 2),
            "team": caller.workspace_id if caller else None,
            "user": caller.user_id if caller else None,
        },
    )


def metrics_route(metrics: Metrics) -> Route:
    """GET /metrics for Prometheus: no token, and nothing in it about people or secrets."""

    async def scrape(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return Route("/metrics", scrape, methods=["GET"])


def create_webapp(
    ctx: ServiceContext,
    base_url: str,
    *,
    metrics: Metrics,
    rate_limiter: RateLimiter | None = None,
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    routes = [
        *api_routes(ctx, base_url, metrics, rate_limiter),
        metrics_route(metrics),
        *webhook_routes(ctx),
        *avatar_routes(ctx),
        *file_routes(ctx),
        *browser_routes(ctx, rate_limiter),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
