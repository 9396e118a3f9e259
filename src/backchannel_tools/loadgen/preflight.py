"""Checks before a run, each failing as one line: the server answers at all (before any
person is made), it serves the deployment the storage options name, and its edge is on an
allowed host (docs/loadgen.md#loopback-only)."""

from __future__ import annotations

from backchannel.errors import BackchannelError
from backchannel_tools.loadgen.target import HOSTS_ENV, socket_host_allowed
from backchannel_tools.loadgen.webapi import Outcome, WebApi


async def check_reachable(url: str) -> None:
    async with WebApi(url) as api:
        _check(url, "api.test", await api.call("api.test", None))


async def check_deployment(url: str, token: str, *, sockets: bool) -> None:
    """auth.test with a person's token; with `sockets`, one rtm.connect too (its ticket is
    left to expire) to see where the edge is."""
    async with WebApi(url) as api:
        answer = await api.call("auth.test", token)
        if answer.error in ("invalid_auth", "not_authed"):
            raise BackchannelError(
                f"the server at {url} does not serve this deployment: give loadgen the "
                "storage options the server was started with"
            )
        _check(url, "auth.test", answer)
        if not sockets:
            return
        answer = await api.call("rtm.connect", token)
    _check(url, "rtm.connect", answer)
    edge = str(answer.body.get("url", ""))
    if not socket_host_allowed(edge):
        raise BackchannelError(
            f"the server's edge {edge.split('?')[0]} is not on loopback or in {HOSTS_ENV}"
        )


def _check(url: str, method: str, answer: Outcome) -> None:
    if answer.error in ("connection", "timeout"):
        raise BackchannelError(f"cannot reach the server at {url} ({answer.error})")
    if answer.error is not None:
        raise BackchannelError(f"the server at {url} answered {method} with {answer.error}")
