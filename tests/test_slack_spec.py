"""The spec validator itself: it must catch replies that break Slack's shapes."""

from __future__ import annotations

import pytest

from tests.support.slack_spec import validate_reply

GOOD_AUTH_TEST = {
    "ok": True,
    "url": "http://x/",
    "team": "Acme",
    "user": "alice",
    "team_id": "T0000100000",
    "user_id": "U0000100000",
}


def test_a_good_reply_passes() -> None:
    validate_reply("auth.test", GOOD_AUTH_TEST)


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in GOOD_AUTH_TEST.items() if k != "user_id"},
        {**GOOD_AUTH_TEST, "surprise": 1},
        {**GOOD_AUTH_TEST, "user_id": "alice"},
    ],
)
def test_a_broken_reply_is_caught(broken: dict[str, object]) -> None:
    with pytest.raises(AssertionError, match="breaks Slack's schema"):
        validate_reply("auth.test", broken)


def test_error_replies_must_be_slack_shaped() -> None:
    validate_reply("auth.test", {"ok": False, "error": "invalid_auth"})
    validate_reply(
        "chat.postMessage",
        {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["x"]}},
    )
    with pytest.raises(AssertionError):
        validate_reply("auth.test", {"ok": False, "error": "invalid_auth", "detail": "x"})
    with pytest.raises(AssertionError):
        validate_reply("auth.test", {"ok": False})


def test_the_spec_reading_of_items_as_any_of() -> None:
    """objs_user is written as {"items": [...]}: a user must still be checked."""
    user = {"id": "U0000100000", "name": "a", "is_bot": False, "updated": 1, "is_app_user": False}
    with pytest.raises(AssertionError, match="'profile' is a required property"):
        validate_reply("users.info", {"ok": True, "user": user})
