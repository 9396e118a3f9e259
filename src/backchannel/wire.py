"""Domain objects as Slack's JSON (objs_user, objs_conversation, objs_message, objs_team), shared by
the Web API's replies and the RTM events.

The shapes follow ../shared/slack-api-specs (tests validate every reply against it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from backchannel.default_avatars import default_avatar_url
from backchannel.models import Bot, Channel, Message, User, Workspace

SYSTEM_USER = "USLACKBOT"  # Slack's author of what no person made, e.g. #general
AVATAR_SIZES = (24, 32, 48, 72, 192, 512, 1024)  # Slack's image_<size> fields of a photo
DEFAULT_AVATAR_SIZES = AVATAR_SIZES[:-1]  # Slack gives a default avatar no image_1024
BOT_ICON_SIZES = (36, 48, 72)  # a bot's icons.image_<size>
REPLY_USERS_SHOWN = 5  # Slack shows a thread's first five repliers, and counts them all
MAX_UNIX_TIME = 253_402_300_799  # the last second of the year 9999


def team_json(workspace: Workspace, base_url: str) -> dict[str, Any]:
    team: dict[str, Any] = {
        "id": workspace.id,
        "name": workspace.name,
        "domain": workspace.domain,
        "email_domain": "",
        "icon": {"image_default": True},
        "created": int(workspace.created),
    }
    if workspace.org_id is not None:
        team["enterprise_id"] = workspace.org_id
    return team


def profile_json(user: User, base_url: str) -> dict[str, Any]:
    """The profile, its image URLs under `base_url` when it has no photo."""
    stored = user.profile
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "display_name": user.display_name,
        "real_name_normalized": user.real_name,
        "display_name_normalized": user.display_name,
        "avatar_hash": _text(stored, "avatar_hash"),
        "title": _text(stored, "title"),
        "phone": _text(stored, "phone"),
        "skype": _text(stored, "skype"),
        "status_text": _text(stored, "status_text"),
        "status_emoji": _text(stored, "status_emoji"),
        "status_expiration": _unix_time(stored.get("status_expiration")),
        "fields": fields if isinstance(fields := stored.get("fields"), dict) else {},
        "team": user.workspace_id,
    }
    first, _, last = user.real_name.partition(" ")
    # users.profile.set stores first/last names when a person sets them
    # (services/people/profiles.py).
    profile["first_name"] = _text(stored, "first_name", first)
    profile["last_name"] = _text(stored, "last_name", last)
    if user.email is not None:
        profile["email"] = user.email
    profile.update(avatar_images(user, base_url))
    if user.bot_id is not None:
        profile["bot_id"] = user.bot_id
        profile["always_active"] = True
    return profile


def _text(stored: dict[str, Any], key: str, default: str = "") -> str:
    """A stored profile text; the default for what is not text (a profile written by hand)."""
    value = stored.get(key, default)
    return value if isinstance(value, str) else default


def _unix_time(value: Any) -> int:
    """A stored time in whole seconds; 0 for what is not one (a profile written by hand)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value) if 0 <= value <= MAX_UNIX_TIME else 0


def avatar_images(user: User, base_url: str) -> dict[str, Any]:
    """The image_* URLs of a user's photo: the one image at every size (clients scale it),
    absolute, stored at upload time (services/people/avatars.py). Without one, their default
    avatar's, with what Slack gives a default: no image_1024, image_original or
    is_custom_image."""
    url = user.profile.get("avatar_url")
    if not url or not isinstance(url, str):
        default = default_avatar_url(base_url, user.id, _shown_name(user))
        return {f"image_{size}": default for size in DEFAULT_AVATAR_SIZES}
    images: dict[str, Any] = {f"image_{size}": url for size in AVATAR_SIZES}
    images.update(image_original=url, is_custom_image=True)
    return images


def _shown_name(user: User) -> str:
    """Slack's order: the display name a person chose, else their full name, else the
    handle."""
    return user.display_name or user.real_name or user.name


def user_json(user: User, base_url: str, *, presence: str | None = None) -> dict[str, Any]:
    """The user as Slack has them; `base_url`: where their default avatar is served."""
    payload: dict[str, Any] = {
        "id": user.id,
        "team_id": user.workspace_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": user.tz,
        "tz_offset": 0,
        "profile": profile_json(user, base_url),
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(user.updated),
        # Slack's: a person who signed up with an email they confirmed. Accounts here are
        # made by an admin or an import, with the address they sign in with; bots have none.
        "is_email_confirmed": bool(user.email) and not user.is_bot,
    }
    if presence is not None:
        payload["presence"] = presence
    return payload


def self_json(user_id: str, name: str, updated: float, *, manual_away: bool) -> dict[str, Any]:
    """The boot's `self`: who the caller is, and the presence they chose."""
    return {
        "id": user_id,
        "name": name,
        "prefs": {},
        # Users keep no creation time; their last change is the nearest there is.
        "created": int(updated),
        "manual_presence": "away" if manual_away else "active",
    }


def bot_json(bot: Bot, base_url: str) -> dict[str, Any]:
    # A bot's icons are its bot user's default avatar (bots cannot set a photo yet).
    icon = default_avatar_url(base_url, bot.user_id, bot.name)
    return {
        "id": bot.id,
        "name": bot.name,
        "deleted": bot.deleted,
        "updated": int(bot.updated),
        "icons": {f"image_{size}": icon for size in BOT_ICON_SIZES},
    }


def bot_info_json(bot: Bot, app_id: str | None, base_url: str) -> dict[str, Any]:
    """bots.info's bot: a boot's, with its bot user and its app (left out for a bot of no
    app: Slack's reference, docs.slack.dev/reference/methods/bots.info, does not require it)."""
    found = {**bot_json(bot, base_url), "user_id": bot.user_id}
    if app_id is not None:
        found["app_id"] = app_id
    return found


def boot_list(conversation: dict[str, Any]) -> str:
    """Which of a boot's four lists a conversation's JSON goes in (Slack's rtm.start):
    public channels, private channels, DMs or group DMs."""
    if conversation.get("is_im"):
        return "ims"
    if conversation.get("is_mpim"):
        return "mpims"
    return "groups" if conversation.get("is_private") else "channels"


def conversation_json(
    channel: Channel,
    *,
    viewer: str | None = None,
    is_member: bool | None = None,
    members: list[str] | None = None,
    num_members: int | None = None,
    last_read: str | None = None,
    unread_count: int | None = None,
    context_team: str | None = None,
) -> dict[str, Any]:
    """A conversation as `viewer` sees it (for a DM, `user` is the other person), from the
    workspace `context_team` (by default the conversation's own)."""
    if channel.is_im:
        return _im_json(
            channel, viewer=viewer, members=members, last_read=last_read, unread_count=unread_count
        )
    payload: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name or _mpim_name(members),
        "name_normalized": channel.name or _mpim_name(members),
        "created": int(channel.created),
        "creator": channel.creator or SYSTEM_USER,
        "is_channel": not channel.is_private and not channel.is_mpim,
        "is_group": channel.is_private and not channel.is_mpim,
        "is_im": False,
        "is_mpim": channel.is_mpim,
        "is_private": channel.is_private or channel.is_mpim,
        "is_archived": channel.is_archived,
        "is_general": channel.is_general,
        "is_shared": bool(channel.shared_with),
        "is_ext_shared": any(team.kind == "ext" for team in channel.shared_with),
        "is_org_shared": any(team.kind == "org" for team in channel.shared_with),
        "is_pending_ext_shared": False,
        "context_team_id": context_team or channel.workspace_id,
        "unlinked": 0,
        "topic": _text_field(channel.topic, channel.topic_creator, channel.topic_last_set),
        "purpose": _text_field(channel.purpose, channel.purpose_creator, channel.purpose_last_set),
        "previous_names": [],
    }
    if channel.shared_with:
        payload["shared_team_ids"] = channel.shared_team_ids
        payload["conversation_host_id"] = channel.workspace_id
    if is_member is not None:
        payload["is_member"] = is_member
    if num_members is not None:
        payload["num_members"] = num_members
    if last_read is not None:
        payload["last_read"] = last_read
    if unread_count is not None:
        payload["unread_count"] = unread_count
        payload["unread_count_display"] = unread_count
    return payload


def _im_json(
    channel: Channel,
    *,
    viewer: str | None,
    members: list[str] | None,
    last_read: str | None,
    unread_count: int | None,
) -> dict[str, Any]:
    others = [m for m in members or [] if m != viewer]
    payload: dict[str, Any] = {
        "id": channel.id,
        "created": int(channel.created),
        "is_im": True,
        "is_org_shared": False,
        "is_archived": channel.is_archived,
        "is_open": True,
        "user": others[0] if others else (viewer or SYSTEM_USER),
        "priority": 0,
    }
    if last_read is not None:
        payload["last_read"] = last_read
    if unread_count is not None:
        payload["unread_count"] = unread_count
        payload["unread_count_display"] = unread_count
    return payload


def _mpim_name(members: list[str] | None) -> str:
    return "mpdm-" + "--".join(sorted(members or [])) + "-1"


def _text_field(value: str, creator: str | None, last_set: float | None) -> dict[str, Any]:
    return {"value": value, "creator": creator or "", "last_set": int(last_set or 0)}


def message_json(
    message: Message, *, include_channel: bool = False, include_metadata: bool = False
) -> dict[str, Any]:
    """Slack's message object; its `metadata` only with `include_metadata` (Slack shows it
    to whoever asks for it: include_all_metadata, and the poster's own reply)."""
    payload: dict[str, Any] = {
        "type": "message",
        "ts": message.ts,
        "text": message.text,
        "team": message.user_team or message.workspace_id,
    }
    if message.user_team is not None:  # in a shared channel, from another workspace
        payload["user_team"] = message.user_team
    if message.user_id is not None:
        payload["user"] = message.user_id
    if message.bot_id is not None:
        payload["bot_id"] = message.bot_id
    if message.subtype is not None:
        payload["subtype"] = message.subtype
    if message.client_msg_id is not None:
        payload["client_msg_id"] = message.client_msg_id
    if message.username is not None:
        payload["username"] = message.username
    if message.icons is not None:
        payload["icons"] = message.icons
    if include_metadata and message.metadata is not None:
        payload["metadata"] = message.metadata
    if message.blocks is not None:
        payload["blocks"] = message.blocks
    if message.attachments is not None:
        payload["attachments"] = message.attachments
    if message.files is not None:
        payload["files"] = message.files
    if message.thread_ts is not None:
        payload["thread_ts"] = message.thread_ts
        if message.thread_ts == message.ts:
            payload["reply_count"] = message.reply_count
            payload["reply_users"] = list(message.reply_users[:REPLY_USERS_SHOWN])
            payload["reply_users_count"] = len(message.reply_users)
            if message.latest_reply is not None:
                payload["latest_reply"] = message.latest_reply
        elif message.parent_user_id is not None:
            payload["parent_user_id"] = message.parent_user_id
    if message.edited_ts is not None:
        payload["edited"] = {
            "user": message.edited_user or message.user_id,
            "ts": message.edited_ts,
        }
    if message.reactions:
        payload["reactions"] = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in message.reactions.items()
        ]
    if include_channel:
        payload["channel"] = message.channel_id
    return payload


def permalink(base_url: str, message: Message) -> str:
    """Slack's permalink: /archives/<channel>/p<ts without its dot>, and for a reply the
    thread it is in (the web client opens either: docs/web-client.md)."""
    link = f"{base_url}/archives/{message.channel_id}/p{message.ts.replace('.', '')}"
    if message.thread_ts is not None and message.thread_ts != message.ts:
        link += "?" + urlencode({"thread_ts": message.thread_ts, "cid": message.channel_id})
    return link
