"""The objects people see: organisations, workspaces, users, bots, channels, messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created: float


@dataclass(frozen=True)
class Workspace:
    id: str
    keyspace: int
    name: str
    domain: str
    org_id: str | None
    created: float  # its shards are in the shard map: router.assignment(id)


@dataclass(frozen=True)
class User:
    id: str
    workspace_id: str
    name: str
    real_name: str
    display_name: str
    email: str | None
    is_admin: bool
    is_owner: bool
    is_bot: bool
    bot_id: str | None
    deleted: bool
    tz: str
    profile: dict[str, Any]
    updated: float
    presence: str = "auto"  # what the person chose: "auto" or "away"


@dataclass(frozen=True)
class Bot:
    id: str
    workspace_id: str
    user_id: str
    name: str
    deleted: bool
    updated: float


@dataclass(frozen=True)
class Channel:
    id: str
    workspace_id: str
    name: str | None
    is_private: bool
    is_im: bool
    is_mpim: bool
    is_general: bool
    is_archived: bool
    creator: str | None
    created: float
    topic: str = ""
    topic_creator: str | None = None
    topic_last_set: float | None = None
    purpose: str = ""
    purpose_creator: str | None = None
    purpose_last_set: float | None = None
    last_ts: str | None = None
    # The other workspaces of a shared channel (docs/organisations.md); empty when unshared.
    shared_with: tuple[SharedTeam, ...] = ()

    @property
    def shared_team_ids(self) -> list[str]:
        """Slack's shared_team_ids: the home workspace first, then the others."""
        return [self.workspace_id, *(team.id for team in self.shared_with)]

    def is_shared_with(self, workspace_id: str) -> bool:
        return any(team.id == workspace_id for team in self.shared_with)


@dataclass(frozen=True)
class SharedTeam:
    """A workspace a channel is shared with: of the home's organisation ("org") or of
    another one ("ext", Slack Connect)."""

    id: str
    kind: str


@dataclass(frozen=True)
class Message:
    channel_id: str
    ts: str
    workspace_id: str
    user_id: str | None
    text: str
    bot_id: str | None = None
    subtype: str | None = None
    thread_ts: str | None = None
    reply_count: int = 0
    reply_users: tuple[str, ...] = ()
    latest_reply: str | None = None
    parent_user_id: str | None = None
    reply_broadcast: bool = False
    client_msg_id: str | None = None
    edited_ts: str | None = None
    edited_user: str | None = None
    deleted: bool = False
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    user_team: str | None = None  # the author's workspace, when not the channel's
    # A bot's own name and icon for this message (services/messaging/personas.py), and an app's
    # metadata (services/messaging/metadata.py).
    username: str | None = None
    icons: dict[str, str] | None = None
    metadata: dict[str, Any] | None = None
    files: list[Any] | None = None  # Slack's file objects of the files it shares


@dataclass(frozen=True)
class Pin:
    """A message pinned to its channel."""

    message: Message
    pinned_by: str
    created: float


@dataclass(frozen=True)
class TokenInfo:
    """Who a token speaks for."""

    user_id: str
    workspace_id: str
    kind: str  # "user", "bot" or "app" (an app-level token, xapp: user_id is its bot user)
    # Which token it is, when known (an authenticated caller's): its SHA-256, as the main
    # DB keys it, never the token. What was opened with it ends with it (its sockets).
    token_hash: str | None = field(default=None, compare=False, repr=False)
    # An app's token: the scopes granted to it, and its app (docs/apps.md). None for a
    # person's own tokens, which act with the person's full rights.
    scopes: frozenset[str] | None = field(default=None, compare=False)
    app_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class App:
    """A Slack app installed in one workspace (docs/apps.md): its bot and what it asked for
    in its manifest (kept whole in `manifest`)."""

    id: str  # A...
    workspace_id: str
    name: str
    bot_id: str
    bot_user_id: str
    manifest: dict[str, Any]
    signing_secret: str
    client_id: str
    installed_by: str | None
    created: float
    updated: float
    uninstalled: float | None = None
    url_verified: float | None = None
    delivery_disabled: float | None = None
    delivery_error: str | None = None


@dataclass(frozen=True)
class Webhook:
    """An incoming webhook: a secret URL that posts into one channel as its own bot."""

    id: str  # its bot's id (B...), as in Slack's webhook URLs
    workspace_id: str
    channel_id: str
    bot_user_id: str
    created_by: str | None
    created: float
    revoked: float | None = None
