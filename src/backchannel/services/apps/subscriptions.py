"""Which events an app may subscribe to, the scope each needs, and which subscription an
event falls under (docs/apps.md). From Slack's Events API spec
(slack_events_api_async_v1.json: each topic's `x-scopes-required`) and Slack's scope
reference, for the scopes the spec predates (app_mentions:read, connections:write)."""

from __future__ import annotations

# Scopes a bot token may be granted, and those a user token may (Slack's scope reference).
_COMMON = {
    "app_mentions:read",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "commands",
    "conversations.connect:manage",
    "conversations.connect:read",
    "conversations.connect:write",
    "dnd:read",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "incoming-webhook",
    "links:read",
    "links:write",
    "links.embed:write",
    "lists:read",
    "lists:write",
    "metadata.message:read",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "remote_files:read",
    "remote_files:share",
    "remote_files:write",
    "search:read.files",
    "search:read.public",
    "team.billing:read",
    "team.preferences:read",
    "team:read",
    "triggers:read",
    "triggers:write",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users:read",
    "users:read.email",
    "users:write",
    "assistant:write",
    "workflow.steps:execute",
}
BOT_SCOPES = frozenset(_COMMON | {"chat:write.customize", "chat:write.public"})
USER_SCOPES = frozenset(
    _COMMON
    | {
        "admin",
        "channels:write",
        "dnd:write",
        "identify",
        "search:read",
        "stars:read",
        "stars:write",
        "users.profile:write",
        "identity.basic",
        "email",
        "openid",
        "profile",
    }
)

_HISTORY = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
}
# Event -> the scopes any one of which lets an app subscribe to it (empty: none needed).
EVENT_SCOPES: dict[str, frozenset[str]] = {
    **{name: frozenset({scope}) for name, scope in _HISTORY.items()},
    "app_mention": frozenset({"app_mentions:read"}),
    "app_home_opened": frozenset(),
    "app_rate_limited": frozenset(),
    "app_uninstalled": frozenset(),
    "tokens_revoked": frozenset(),
    "message.app_home": frozenset(),
    "channel_archive": frozenset({"channels:read"}),
    "channel_created": frozenset({"channels:read"}),
    "channel_deleted": frozenset({"channels:read"}),
    "channel_left": frozenset({"channels:read"}),
    "channel_rename": frozenset({"channels:read"}),
    "channel_shared": frozenset({"channels:read"}),
    "channel_unarchive": frozenset({"channels:read"}),
    "channel_unshared": frozenset({"channels:read"}),
    "group_archive": frozenset({"groups:read"}),
    "group_left": frozenset({"groups:read"}),
    "group_rename": frozenset({"groups:read"}),
    "group_unarchive": frozenset({"groups:read"}),
    "im_created": frozenset({"im:read"}),
    "member_joined_channel": frozenset({"channels:read", "groups:read"}),
    "member_left_channel": frozenset({"channels:read", "groups:read"}),
    "pin_added": frozenset({"pins:read"}),
    "pin_removed": frozenset({"pins:read"}),
    "reaction_added": frozenset({"reactions:read"}),
    "reaction_removed": frozenset({"reactions:read"}),
    "team_join": frozenset({"users:read"}),
    "user_change": frozenset({"users:read"}),
    "emoji_changed": frozenset({"emoji:read"}),
    "file_change": frozenset({"files:read"}),
    "file_created": frozenset({"files:read"}),
    "file_deleted": frozenset({"files:read"}),
    "file_shared": frozenset({"files:read"}),
    "file_public": frozenset({"files:read"}),
    "file_unshared": frozenset({"files:read"}),
    "link_shared": frozenset({"links:read"}),
    "subteam_created": frozenset({"usergroups:read"}),
    "subteam_members_changed": frozenset({"usergroups:read"}),
    "subteam_updated": frozenset({"usergroups:read"}),
    "team_rename": frozenset({"team:read"}),
    "team_domain_change": frozenset({"team:read"}),
    "dnd_updated_user": frozenset({"dnd:read"}),
}
# Sent to every app whatever it subscribed to (Slack's app events).
ALWAYS = frozenset({"app_uninstalled", "tokens_revoked"})
# The conversation types of Slack's `channel_type`, and the message subscription of each.
MESSAGE_SUBSCRIPTION = {
    "channel": "message.channels",
    "group": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}


def subscription_of(event_type: str, channel_type: str | None) -> str:
    """The subscription an event arrives under: `message` by its conversation's type."""
    if event_type == "message" and channel_type is not None:
        return MESSAGE_SUBSCRIPTION[channel_type]
    return event_type
