"""services/apps/manifest.py on its own: what it reads from Slack's manifest, and every
problem it names (a message and a JSON pointer, as Slack's apps.manifest.validate does).
Plain functions, no I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from backchannel.services.apps.manifest import (
    MAX_MANIFEST_BYTES,
    InvalidManifest,
    Manifest,
    parse_manifest,
)

VALID = """
display_information:
  name: Hello Bolt
  description: Says hello
features:
  bot_user:
    display_name: hellobolt
    always_online: true
oauth_config:
  scopes:
    bot: [chat:write, channels:history, app_mentions:read]
    user: [search:read]
settings:
  event_subscriptions:
    bot_events: [message.channels, app_mention, message.channels]
  socket_mode_enabled: true
functions:
  anything: {kept: [as, it, is]}
"""


def valid() -> dict[str, Any]:
    return dict(yaml.safe_load(VALID))


def problems_of(manifest: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidManifest) as refused:
        parse_manifest(manifest)
    assert refused.value.slack_error == "invalid_manifest"
    return list(refused.value.problems)


def test_a_valid_manifest_is_read() -> None:
    read = parse_manifest(VALID)
    assert read == Manifest(
        name="Hello Bolt",
        bot_name="hellobolt",
        bot_scopes=frozenset({"chat:write", "channels:history", "app_mentions:read"}),
        user_scopes=frozenset({"search:read"}),
        bot_events=("message.channels", "app_mention"),
        user_events=(),
        request_url=None,
        socket_mode=True,
        raw=valid(),
    )


def test_json_text_and_an_object_read_as_yaml_does() -> None:
    assert parse_manifest(json.dumps(valid())) == parse_manifest(VALID)
    assert parse_manifest(valid()) == parse_manifest(VALID)
    assert parse_manifest(VALID.encode()) == parse_manifest(VALID)


def test_without_a_bot_user_the_bot_is_named_after_the_app() -> None:
    read = parse_manifest({"display_information": {"name": "Quiet"}})
    assert (read.bot_name, read.bot_scopes, read.socket_mode) == ("Quiet", frozenset(), False)


def test_a_request_url_takes_the_place_of_socket_mode() -> None:
    manifest = valid()
    manifest["settings"] = {
        "event_subscriptions": {
            "request_url": "https://example.com/slack/events",
            "bot_events": ["app_mention"],
        }
    }
    read = parse_manifest(manifest)
    assert (read.request_url, read.socket_mode) == ("https://example.com/slack/events", False)


def test_unknown_fields_are_named_where_they_are() -> None:
    manifest = valid()
    manifest["bogus"] = 1
    manifest["settings"]["bogus_setting"] = True
    manifest["features"]["bot_user"]["colour"] = "red"
    assert problems_of(manifest) == [
        ("Unknown field: colour", "/features/bot_user/colour"),
        ("Unknown field: bogus_setting", "/settings/bogus_setting"),
        ("Unknown field: bogus", "/bogus"),
    ]


def test_an_unknown_scope_is_named_by_its_place_in_the_list() -> None:
    manifest = valid()
    manifest["oauth_config"]["scopes"]["bot"].append("chat:shout")
    manifest["oauth_config"]["scopes"]["user"] = ["search:read", "identify", "admin:everything"]
    assert problems_of(manifest) == [
        ("Invalid bot scope: chat:shout", "/oauth_config/scopes/bot/3"),
        ("Invalid user scope: admin:everything", "/oauth_config/scopes/user/2"),
    ]


def test_an_event_needs_its_scope() -> None:
    manifest = valid()
    manifest["settings"]["event_subscriptions"]["bot_events"] = ["reaction_added", "message.im"]
    assert problems_of(manifest) == [
        (
            "Event reaction_added requires the bot scope reactions:read",
            "/settings/event_subscriptions/bot_events/0",
        ),
        (
            "Event message.im requires the bot scope im:history",
            "/settings/event_subscriptions/bot_events/1",
        ),
    ]


def test_an_unknown_event_is_refused() -> None:
    manifest = valid()
    manifest["settings"]["event_subscriptions"]["bot_events"] = ["message.everything"]
    assert problems_of(manifest) == [
        ("Unknown event: message.everything", "/settings/event_subscriptions/bot_events/0")
    ]


def test_events_need_a_request_url_or_socket_mode() -> None:
    manifest = valid()
    manifest["settings"]["socket_mode_enabled"] = False
    assert problems_of(manifest) == [
        (
            "Event subscription requires either Request URL or Socket Mode Enabled",
            "/settings/event_subscriptions",
        )
    ]


def test_settings_of_the_wrong_kind_are_refused() -> None:
    manifest = valid()
    manifest["settings"]["socket_mode_enabled"] = "yes"
    manifest["settings"]["event_subscriptions"]["request_url"] = "ftp://example.com"
    manifest["oauth_config"]["scopes"]["user"] = "search:read"
    assert problems_of(manifest) == [
        ("must be a list of scope names", "/oauth_config/scopes/user"),
        ("must be an http(s) URL", "/settings/event_subscriptions/request_url"),
        ("must be true or false", "/settings/socket_mode_enabled"),
    ]


def test_every_problem_is_named_at_once() -> None:
    manifest = valid()
    manifest["display_information"] = {"name": "x" * 36, "description": 7}
    manifest["features"]["bot_user"]["display_name"] = ""
    manifest["oauth_config"]["scopes"]["bot"] = ["nope", "app_mentions:read"]
    events = "/settings/event_subscriptions/bot_events"
    assert problems_of(manifest) == [
        ("must be text of at most 140 characters", "/display_information/description"),
        ("must be at most 35 characters", "/display_information/name"),
        ("features.bot_user.display_name is required", "/features/bot_user/display_name"),
        ("Invalid bot scope: nope", "/oauth_config/scopes/bot/0"),
        ("Event message.channels requires the bot scope channels:history", f"{events}/0"),
        ("Event message.channels requires the bot scope channels:history", f"{events}/2"),
    ]


def test_a_name_is_required_and_must_make_a_handle() -> None:
    assert problems_of({"display_information": {}}) == [
        ("display_information.name is required", "/display_information/name")
    ]
    # The bot user's handle is made of the bot's name, or the app's without a bot_user.
    assert problems_of({"display_information": {"name": "!!!"}}) == [
        ("must have a letter or a digit", "/display_information/name")
    ]
    manifest = valid()
    manifest["features"]["bot_user"]["display_name"] = "***"
    assert problems_of(manifest) == [
        ("must have a letter or a digit", "/features/bot_user/display_name")
    ]


def test_bot_scopes_need_a_bot_user() -> None:
    manifest = valid()
    del manifest["features"]
    assert problems_of(manifest) == [
        ("bot scopes need a bot user (features.bot_user)", "/features/bot_user")
    ]


@pytest.mark.parametrize(
    "text",
    ["display_information: [unclosed", '{"display_information": {"name": "x"', "a: b: c"],
)
def test_text_that_does_not_parse_is_refused(text: str) -> None:
    [(message, pointer)] = problems_of(text)
    assert message.startswith("not YAML or JSON: ") and pointer == "/"


@pytest.mark.parametrize("text", ["[1, 2]", "just words", "42", "", "null", "- a\n- b", "\xff"])
def test_a_manifest_is_an_object(text: str) -> None:
    assert problems_of(text) == [("a manifest is an object of sections", "/")]


def test_a_manifest_over_the_limit_is_refused_unread() -> None:
    padded = VALID + "#" * MAX_MANIFEST_BYTES
    expected = [(f"the manifest is over {MAX_MANIFEST_BYTES} bytes", "/")]
    assert problems_of(padded) == expected
    big = valid()
    big["functions"] = {"blob": "x" * MAX_MANIFEST_BYTES}
    assert problems_of(big) == expected


def test_yaml_aliases_are_refused() -> None:
    # A few lines of aliases can stand for more than fits in memory.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    assert problems_of(bomb) == [("not YAML or JSON: aliases (*name) are not allowed", "/")]


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000, "- " * 30_000, '{"a":' * 300 + "1" + "}" * 300, "{a: " * 300 + "1" + "}" * 300],
    ids=["json", "yaml", "json-300", "yaml-300"],
)
def test_nesting_too_deep_is_refused(text: str) -> None:
    assert problems_of(text) == [("nested too deeply", "/")]


@pytest.mark.parametrize(
    "text",
    [
        "display_information: {name: x}\nfunctions: {1: one}",
        "display_information: {name: x}\nfunctions: !!binary aGVsbG8=",
        "display_information: {name: x}\nfunctions: !!set {a, b}",
        "display_information: {name: x}\nfunctions: 123456789012345678901234567890",
    ],
)
def test_what_json_cannot_hold_is_refused(text: str) -> None:
    [(message, pointer)] = problems_of(text)
    assert message.startswith("not plain JSON: ") and pointer == "/"


def test_yaml_dates_are_kept_as_text() -> None:
    read = parse_manifest("display_information: {name: x}\nfunctions: {since: 2024-05-01}")
    assert read.raw["functions"] == {"since": "2024-05-01"}
