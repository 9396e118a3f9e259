"""The table of Web API methods: a name, whether it needs a token, and its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.webapp.args import Args
from backchannel.webapp.responses import SlackResponse


@dataclass(frozen=True)
class Call:
    """One API call as a handler sees it."""

    ctx: ServiceContext
    params: dict[str, Any]
    auth: TokenInfo | None
    base_url: str
    token: str | None = None  # the caller's token itself, for auth.revoke

    @property
    def args(self) -> Args:
        return Args(self.params)

    @property
    def caller(self) -> TokenInfo:
        assert self.auth is not None, "handler registered with auth=False reads caller"
        return self.auth


Handler = Callable[[Call], Awaitable[SlackResponse]]


@dataclass(frozen=True)
class Method:
    name: str
    handler: Handler
    needs_auth: bool
    # In Slack's published spec (served at /api/openapi.json). False for what Slack's own
    # clients use but Slack does not publish (client.counts).
    published: bool = True


METHODS: dict[str, Method] = {}


def api_method(
    name: str, *, auth: bool = True, published: bool = True
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in METHODS:
            raise ValueError(f"API method {name} is registered twice")
        METHODS[name] = Method(name, handler, auth, published)
        return handler

    return register
