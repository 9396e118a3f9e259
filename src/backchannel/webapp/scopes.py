"""The OAuth scopes each Web API method accepts, and who may call it (docs/webapp.md#scopes).

Slack's published spec names a method's scopes (its `security`, kept in the packaged
slack_web_api.json), some by their legacy names, and lacks what Slack's method pages
(docs.slack.dev) list since: the bot token's granular scopes, and the methods it does not
publish. LEGACY and the two tables below hold those differences; anything else is the spec's.

A token issued to an app carries its granted scopes and must hold one the method accepts.
A person's own token (sign-in, browser session, `admin create-user`/`create-bot`) has no
scopes recorded and keeps its full rights, as before scopes existed.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from backchannel.models import TokenInfo
from backchannel.webapp.openapi import packaged_spec
from backchannel.webapp.responses import SlackResponse, error

BOT_OR_USER = frozenset({"bot", "user"})
APP_LEVEL = frozenset({"app"})

# Today's scope for each legacy one the 2021 spec still names ("none": no scope needed).
LEGACY: dict[str, str | None] = {
    "chat:write:bot": "chat:write",
    "chat:write:user": "chat:write",
    "none": None,
}

_MANAGE = ("channels:manage",)
_TOPIC = ("channels:write.topic", "groups:write.topic", "mpim:write.topic", "im:write.topic")
_INVITES = ("channels:write.invites", "groups:write.invites")
# What Slack's method pages accept besides the spec's scopes: mostly a bot's granular ones.
ADDED: dict[str, tuple[str, ...]] = {
    "conversations.join": ("channels:join",),
    "conversations.create": _MANAGE,
    "conversations.archive": _MANAGE,
    "conversations.unarchive": _MANAGE,
    "conversations.rename": _MANAGE,
    "conversations.kick": _MANAGE,
    "conversations.leave": _MANAGE,
    "conversations.mark": _MANAGE,
    "conversations.open": _MANAGE,
    "conversations.invite": _MANAGE + _INVITES,
    "conversations.setTopic": _MANAGE + _TOPIC,
    "conversations.setPurpose": _MANAGE + _TOPIC,
}

# The scopes of the methods the spec lacks, from Slack's method pages; () needs none.
UNPUBLISHED: dict[str, tuple[str, ...]] = {
    "auth.teams.list": (),
    # Slack's own clients' method: no app is granted `client` any more.
    "client.counts": ("client",),
    "conversations.inviteShared": ("conversations.connect:write",),
    "conversations.acceptSharedInvite": ("conversations.connect:write",),
    "conversations.declineSharedInvite": ("conversations.connect:manage",),
    "conversations.listConnectInvites": ("conversations.connect:manage",),
    # Socket Mode's (docs/apps.md). The manifest API's methods are described, their
    # configuration scopes with them, in scripts/slack_spec_additions.json.
    "apps.connections.open": ("connections:write",),
    # files_upload_v2's two steps (docs.slack.dev's method pages).
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}

# The scopes only one kind of token is granted (Slack's scope pages, "Supported token
# types"), and every admin.* one a user's; every other scope may be a bot's or a user's.
# A method whose scopes are all of one kind takes only that kind of token: Slack answers
# the others not_allowed_token_type. rtm:stream is never granted to an app's bot: Slack
# closed RTM to them.
USER_SCOPES = frozenset(
    {"client", "rtm:stream", "search:read", "users.profile:write"}
    | {"app_configurations:read", "app_configurations:write"}
)
BOT_SCOPES = frozenset(
    {"channels:join", "channels:manage"}
    | {"conversations.connect:manage", "conversations.connect:write"}
)
APP_SCOPES = frozenset({"authorizations:read", "connections:write"})


@dataclass(frozen=True)
class Accepts:
    """What a method takes: a token of a kind in `tokens` holding any one of `scopes`
    (none needed when empty)."""

    scopes: tuple[str, ...]
    tokens: frozenset[str]

    def for_kind(self, kind: str) -> tuple[str, ...]:
        """The scopes a token of this kind could hold that the method accepts."""
        return tuple(scope for scope in self.scopes if kind in kinds_holding(scope))


def kinds_holding(scope: str) -> frozenset[str]:
    """The kinds of token ("bot", "user", "app") that may be granted `scope`."""
    if scope in APP_SCOPES:
        return APP_LEVEL
    if scope in USER_SCOPES or scope.split(":")[0].split(".")[0] == "admin":
        return frozenset({"user"})
    if scope in BOT_SCOPES:
        return frozenset({"bot"})
    return BOT_OR_USER


# A method in neither the spec nor the tables: no app's token may call it (a person's may).
# tests/webapp/test_scopes.py holds every registered method to having scopes.
UNKNOWN = Accepts((), frozenset())


@functools.cache
def accepts(method: str) -> Accepts:
    """What `method` accepts."""
    if method in UNPUBLISHED:
        scopes = UNPUBLISHED[method]
    elif f"/{method}" in packaged_spec()["paths"]:
        scopes = _published(method)
    else:
        return UNKNOWN
    scopes = tuple(dict.fromkeys(ADDED.get(method, ()) + scopes))
    tokens = frozenset().union(*map(kinds_holding, scopes)) if scopes else BOT_OR_USER
    return Accepts(scopes, tokens)


def _published(method: str) -> tuple[str, ...]:
    """The spec's scopes for `method`, by today's names."""
    operations = packaged_spec()["paths"][f"/{method}"]
    named = [s for op in operations.values() for sec in op["security"] for s in sec["slackAuth"]]
    return tuple(s for s in (LEGACY.get(scope, scope) for scope in named) if s is not None)


def unlisted(methods: Iterable[str]) -> list[str]:
    """The methods of `methods` that have no scopes in the table."""
    return [method for method in methods if accepts(method) is UNKNOWN]


def refusal(caller: TokenInfo, method: Accepts) -> SlackResponse | None:
    """Slack's reply to a caller the method does not take, or None to go on.

    App-level tokens (xapp) and the methods only they call are a world of their own, for
    everyone. Otherwise a person's own token (no scopes recorded) passes; an app's token
    must be of a kind the method takes, and hold one of its scopes."""
    if caller.kind == "app" or method.tokens == APP_LEVEL:
        if caller.kind not in method.tokens:
            return error("not_allowed_token_type")
    elif caller.scopes is None:
        return None
    elif caller.kind not in method.tokens:
        return error("not_allowed_token_type")
    if caller.scopes is not None and method.scopes and caller.scopes.isdisjoint(method.scopes):
        needed = ",".join(method.for_kind(caller.kind))
        return error("missing_scope", needed=needed, provided=",".join(sorted(caller.scopes)))
    return None


def headers(caller: TokenInfo, method: Accepts, registered: Collection[str]) -> dict[str, str]:
    """Slack's scope headers on a reply to `caller`: the scopes it holds, and those of the
    method's that a token of its kind could hold."""
    return {
        "x-oauth-scopes": ",".join(granted(caller, registered)),
        "x-accepted-oauth-scopes": ",".join(method.for_kind(caller.kind)),
    }


def granted(caller: TokenInfo, registered: Collection[str]) -> tuple[str, ...]:
    """The scopes a token holds: an app's token, those granted it; a person's own, every
    scope a token of its kind could hold for the registered methods (it may call them all)."""
    if caller.scopes is not None:
        return tuple(sorted(caller.scopes))
    return _every_scope(caller.kind, frozenset(registered))


@functools.cache
def _every_scope(kind: str, methods: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted({scope for m in methods for scope in accepts(m).for_kind(kind)}))
