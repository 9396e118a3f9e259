"""Checks of user-given names, domains and emails, with messages that say what was expected."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from backchannel.errors import InvalidArgument

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,19}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
_HANDLE_DROP = re.compile(r"[^a-z0-9._-]+")
# Slack's emoji names: lower-case letters, digits and _ - + ' (e.g. "+1", "e-mail"), with an
# optional skin tone ("wave::skin-tone-3", 2 to 6: docs.slack.dev/reference/methods/
# reactions.add). There is no emoji list here (custom emoji would need one), so any
# well-formed name is accepted; matched whole, so "fire\n" is not "fire".
_EMOJI_NAME = re.compile(r"[a-z0-9_+'\-]+(?:::skin-tone-[2-6])?")
MAX_EMOJI_NAME = 100  # the reactions table's column
MAX_NAME = 80  # a handle's or a channel name's characters


def check_display_name(name: str, *, what: str = "name", limit: int = 250) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidArgument(f"{what} must not be empty")
    if len(cleaned) > limit:
        raise InvalidArgument(f"{what} must be at most {limit} characters, got {len(cleaned)}")
    return cleaned


def check_domain(domain: str) -> str:
    lowered = domain.strip().lower()
    if not _DOMAIN.match(lowered):
        raise InvalidArgument(
            f"domain {domain!r} is not valid: use 1-21 lower-case letters, digits or hyphens, "
            "not starting or ending with a hyphen",
            slack_error="invalid_domain",
        )
    return lowered


def check_email(email: str) -> str:
    lowered = email.strip().lower()
    if len(lowered) > 254 or not _EMAIL.match(lowered):
        raise InvalidArgument(
            f"email {email!r} is not a valid address", slack_error="invalid_email"
        )
    return lowered


def check_channel_name(name: str) -> str:
    lowered = name.strip().lstrip("#").lower()
    if not _CHANNEL_NAME.match(lowered):
        raise InvalidArgument(
            f"channel name {name!r} is not valid: use 1-80 lower-case letters, digits, "
            "hyphens or underscores",
            slack_error="invalid_name_specials",
        )
    return lowered


def handle_from_name(name: str) -> str:
    """A Slack-style handle ("Carol Danvers" -> "carol.danvers")."""
    handle = _HANDLE_DROP.sub(".", name.strip().lower()).strip(".")[:80]
    if not handle:
        raise InvalidArgument(
            f"name {name!r} has no letters or digits to make a handle from",
            slack_error="invalid_name",
        )
    return handle


async def first_free(wanted: str, taken: Callable[[str], Awaitable[bool]]) -> str:
    """`wanted`, or wanted-2, wanted-3...: the first that `taken` says is free, cut to fit
    in MAX_NAME. The one rule for a handle or channel name that is someone else's already
    (an import, a webhook's bot, a seat in another workspace): a counter after a hyphen,
    like the -1 Slack puts after the group DM names it makes."""
    name, number = wanted[:MAX_NAME], 1
    while await taken(name):
        number += 1
        suffix = f"-{number}"
        name = wanted[: MAX_NAME - len(suffix)] + suffix
    return name


def is_emoji_name(name: str) -> bool:
    """A reaction's, a status's or an icon's emoji name, without its colons ("thumbsup",
    "+1")."""
    return len(name) <= MAX_EMOJI_NAME and _EMOJI_NAME.fullmatch(name) is not None
