"""A bot's own name and icon on one message: chat.postMessage's `username`, `icon_emoji` and
`icon_url` (Slack's chat:write.customize) and an incoming webhook's (docs/webapp.md).

They apply to what a bot posts; a person's post is always their own, as in Slack. The
message then carries Slack's `username` and `icons`: {"emoji": ":name:"} for an emoji, which
wins over a picture, else {"image_48": url}.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from backchannel.errors import InvalidArgument
from backchannel.services.validation import check_display_name, is_emoji_name

MAX_USERNAME = 80  # as a bot's own name (users.create_bot)
MAX_ICON_URL = 2000


@dataclass(frozen=True)
class Persona:
    """What a post asks to be shown as, unchecked."""

    username: str | None = None
    icon_emoji: str | None = None
    icon_url: str | None = None


@dataclass(frozen=True)
class Shown:
    """A checked persona, as the message stores it."""

    username: str | None
    icons: dict[str, str] | None


def checked(persona: Persona) -> Shown:
    """The name and icons to show; InvalidArgument for a name too long, an emoji name that
    is not one, or an icon URL that is not http(s)."""
    username = None
    if persona.username and persona.username.strip():
        username = check_display_name(persona.username, what="username", limit=MAX_USERNAME)
    icons = None
    if persona.icon_emoji and persona.icon_emoji.strip():
        icons = {"emoji": f":{_emoji_name(persona.icon_emoji)}:"}
    elif persona.icon_url and persona.icon_url.strip():
        icons = {"image_48": _icon_url(persona.icon_url)}
    return Shown(username, icons)


def _emoji_name(value: str) -> str:
    """ ":rocket:" or "rocket" (Slack takes both), as the bare name."""
    name = value.strip().removeprefix(":").removesuffix(":")
    if not is_emoji_name(name):
        raise InvalidArgument(f"icon_emoji {value!r} is not an emoji name like :rocket:")
    return name


def _icon_url(value: str) -> str:
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"icon_url must be an http or https URL, got {value[:100]!r}")
    if len(url) > MAX_ICON_URL or any(char.isspace() for char in url):
        raise InvalidArgument(f"icon_url must be one URL of at most {MAX_ICON_URL} characters")
    return url
