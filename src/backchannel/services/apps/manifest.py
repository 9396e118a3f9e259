"""Slack's app manifest (docs/apps.md): the YAML or JSON a developer pastes into Slack's UI,
read and checked as `apps.manifest.validate` does.

A manifest is refused whole, with every problem Slack would name (a message and a JSON
pointer to the field), so nothing is made from half of one. Sections Slack knows that
Backchannel does not act on yet (workflows, functions, shortcuts...) are accepted and kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from backchannel.errors import InvalidArgument
from backchannel.services.apps.subscriptions import BOT_SCOPES, EVENT_SCOPES, USER_SCOPES
from backchannel.services.validation import handle_from_name

MAX_MANIFEST_BYTES = 64 * 1024
MAX_NAME = 35  # Slack's limits on display_information.name and bot_user.display_name
MAX_BOT_NAME = 80
MAX_DESCRIPTION = 140
DEEP = "nested too deeply"

# Slack's manifest sections and the fields of those Backchannel reads. A key outside these
# is refused, as Slack refuses it; the sections marked None are kept but not looked into.
KNOWN: dict[str, Any] = {
    "_metadata": None,
    "display_information": {"name", "description", "background_color", "long_description"},
    "features": {
        "app_home": None,
        "bot_user": {"display_name", "always_online"},
        "shortcuts": None,
        "slash_commands": None,
        "unfurl_domains": None,
        "workflow_steps": None,
        "assistant_view": None,
        "rich_previews": None,
    },
    "oauth_config": {
        "redirect_urls": None,
        "scopes": {"bot", "user"},
        "token_management_enabled": None,
        "pkce_enabled": None,
    },
    "settings": {
        "allowed_ip_address_ranges": None,
        "event_subscriptions": {
            "request_url",
            "bot_events",
            "user_events",
            "metadata_subscriptions",
        },
        "incoming_webhooks": None,
        "interactivity": None,
        "org_deploy_enabled": None,
        "socket_mode_enabled": None,
        "token_rotation_enabled": None,
        "function_runtime": None,
        "is_hosted": None,
        "siws_links": None,
        "hermes_app_type": None,
    },
    "functions": None,
    "workflows": None,
    "datastores": None,
    "outgoing_domains": None,
    "types": None,
    "metadata_events": None,
    "external_auth_providers": None,
    "compliance": None,
    "app_directory": None,
}


class InvalidManifest(InvalidArgument):
    """Every problem of a manifest, each a message and the JSON pointer of its field
    (apps.manifest.*'s `errors`, Slack's shape)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        listed = "; ".join(f"{message} ({pointer})" for message, pointer in problems)
        super().__init__(f"invalid manifest: {listed}", slack_error="invalid_manifest")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Manifest:
    """What Backchannel acts on, read from a valid manifest; `raw` is kept whole (export)."""

    name: str
    bot_name: str
    bot_scopes: frozenset[str]
    user_scopes: frozenset[str]
    bot_events: tuple[str, ...]
    user_events: tuple[str, ...]
    request_url: str | None
    socket_mode: bool
    raw: dict[str, Any]


def parse_manifest(text: str | bytes | Mapping[str, Any]) -> Manifest:
    """A manifest from its YAML or JSON text (or already parsed); InvalidManifest listing
    every problem otherwise."""
    raw = _load(text)
    problems = list(_problems(raw))
    if problems:
        raise InvalidManifest(problems)
    return _read(raw)


def _load(text: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(text, Mapping):
        loaded: Any = dict(text)
        size = len(_plain(loaded))
    else:
        size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_MANIFEST_BYTES:
        raise InvalidManifest([(f"the manifest is over {MAX_MANIFEST_BYTES} bytes", "/")])
    if not isinstance(text, Mapping):
        loaded = _parse(text)
    if not isinstance(loaded, dict):
        raise InvalidManifest([("a manifest is an object of sections", "/")])
    # What is kept is what a JSON column holds and export gives back: YAML's dates become
    # text, and what JSON cannot hold is refused here rather than failing the write.
    return dict(orjson.loads(_plain(loaded)))


def _parse(text: str | bytes) -> Any:
    try:  # JSON is YAML, but JSON's own reader gives the better message for JSON
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        raise InvalidManifest([(DEEP, "/")]) from None
    try:
        return yaml.load(text, Loader=_ManifestLoader)
    except yaml.YAMLError as exc:
        raise InvalidManifest([(f"not YAML or JSON: {_first_line(exc)}", "/")]) from None
    except RecursionError:
        raise InvalidManifest([(DEEP, "/")]) from None


class _ManifestLoader(yaml.SafeLoader):
    """YAML's safe reader without aliases (*name): a few bytes of them can stand for more
    data than fits in memory, and a manifest never needs one."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed")
        return super().compose_node(parent, index)


def _plain(value: Any) -> bytes:
    """The manifest as JSON; InvalidManifest for what JSON cannot hold (keys that are not
    text, sets, binary, integers past 64 bits, nesting past orjson's limit)."""
    try:
        return orjson.dumps(value)
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        deep = "Recursion" in str(exc)  # orjson's limit of 254 levels
        raise InvalidManifest([(DEEP if deep else f"not plain JSON: {exc}", "/")]) from None


def _problems(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _unknown_keys(raw, KNOWN, "")
    info = _section(raw, "display_information")
    description = info.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > MAX_DESCRIPTION
    ):
        yield (
            f"must be text of at most {MAX_DESCRIPTION} characters",
            "/display_information/description",
        )
    bot = _section(_section(raw, "features"), "bot_user")
    yield from _name_problems(info.get("name"), has_bot=bool(bot))
    if bot:
        yield from _bot_name_problems(bot.get("display_name"))
    yield from _scope_problems(raw, bool(bot))
    yield from _event_problems(raw)


def _name_problems(name: Any, *, has_bot: bool) -> Iterator[tuple[str, str]]:
    pointer = "/display_information/name"
    if not isinstance(name, str) or not name.strip():
        yield "display_information.name is required", pointer
    elif len(name) > MAX_NAME:
        yield f"must be at most {MAX_NAME} characters", pointer
    elif not has_bot and not _makes_handle(name):  # the bot is named after the app
        yield "must have a letter or a digit", pointer


def _bot_name_problems(name: Any) -> Iterator[tuple[str, str]]:
    pointer = "/features/bot_user/display_name"
    if not isinstance(name, str) or not name.strip():
        yield "features.bot_user.display_name is required", pointer
    elif len(name) > MAX_BOT_NAME:
        yield f"must be at most {MAX_BOT_NAME} characters", pointer
    elif not _makes_handle(name):  # the bot user's handle is made from it
        yield "must have a letter or a digit", pointer


def _scope_problems(raw: dict[str, Any], has_bot: bool) -> Iterator[tuple[str, str]]:
    scopes = _section(_section(raw, "oauth_config"), "scopes")
    for kind, valid in (("bot", BOT_SCOPES), ("user", USER_SCOPES)):
        listed = scopes.get(kind, [])
        pointer = f"/oauth_config/scopes/{kind}"
        if not _strings(listed):
            yield "must be a list of scope names", pointer
            continue
        for at, scope in enumerate(listed):
            if scope not in valid:
                yield f"Invalid {kind} scope: {scope}", f"{pointer}/{at}"
    if scopes.get("bot") and not has_bot:
        yield "bot scopes need a bot user (features.bot_user)", "/features/bot_user"


def _event_problems(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    settings = _section(raw, "settings")
    events = _section(settings, "event_subscriptions")
    granted = _section(_section(raw, "oauth_config"), "scopes")
    for kind in ("bot", "user"):
        listed = events.get(f"{kind}_events", [])
        pointer = f"/settings/event_subscriptions/{kind}_events"
        if not _strings(listed):
            yield "must be a list of event names", pointer
            continue
        have = set(granted.get(kind) or []) if _strings(granted.get(kind) or []) else set()
        for at, event in enumerate(listed):
            needs = EVENT_SCOPES.get(event)
            if needs is None:
                yield f"Unknown event: {event}", f"{pointer}/{at}"
            elif needs and not have & needs:
                wanted = " or ".join(sorted(needs))
                yield f"Event {event} requires the {kind} scope {wanted}", f"{pointer}/{at}"
    url = events.get("request_url")
    if url is not None and not _is_http_url(url):
        yield "must be an http(s) URL", "/settings/event_subscriptions/request_url"
    socket_mode = settings.get("socket_mode_enabled", False)
    if not isinstance(socket_mode, bool):
        yield "must be true or false", "/settings/socket_mode_enabled"
    wants_events = events.get("bot_events") or events.get("user_events")
    if wants_events and not url and socket_mode is not True:
        yield (
            "Event subscription requires either Request URL or Socket Mode Enabled",
            "/settings/event_subscriptions",
        )


def _unknown_keys(value: Any, known: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if known is None or not isinstance(value, dict):
        return
    for key, inner in value.items():
        where = f"{pointer}/{key}"
        if key not in known:
            yield f"Unknown field: {key}", where
        elif isinstance(known, dict):
            yield from _unknown_keys(inner, known[key], where)


def _section(value: Any, key: str) -> dict[str, Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_http_url(value: Any) -> bool:
    return (
        isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) < 2000
    )


def _makes_handle(name: str) -> bool:
    try:
        handle_from_name(name)
    except InvalidArgument:
        return False
    return True


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _read(raw: dict[str, Any]) -> Manifest:
    name = str(raw["display_information"]["name"]).strip()
    bot = _section(_section(raw, "features"), "bot_user")
    scopes = _section(_section(raw, "oauth_config"), "scopes")
    settings = _section(raw, "settings")
    events = _section(settings, "event_subscriptions")
    return Manifest(
        name=name,
        bot_name=str(bot.get("display_name") or name).strip(),
        bot_scopes=frozenset(scopes.get("bot") or ()),
        user_scopes=frozenset(scopes.get("user") or ()),
        bot_events=tuple(dict.fromkeys(events.get("bot_events") or ())),
        user_events=tuple(dict.fromkeys(events.get("user_events") or ())),
        request_url=events.get("request_url") or None,
        socket_mode=settings.get("socket_mode_enabled") is True,
        raw=raw,
    )
