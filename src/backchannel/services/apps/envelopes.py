"""An event of the log as an app receives it: Slack's `event_callback` (docs/apps.md), the
same body for the Events API's POST and for Socket Mode's `events_api` envelope.

Only what the app subscribed to, by the subscription Slack files it under (a message by its
conversation's type: message.channels, .groups, .im, .mpim), and an `app_mention` made
from a message that mentions the app's bot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backchannel.models import App, Event
from backchannel.services.apps.subscriptions import ALWAYS, subscription_of

# RTM's own events, which the Events API does not have.
NOT_FOR_APPS = frozenset({"hello", "pong", "presence_change", "user_typing", "goodbye"})
# Message subtypes only RTM clients get (Slack does not send apps message_replied).
RTM_SUBTYPES = frozenset({"message_replied"})
# Message subtypes an app_mention is made of (a plain message, or one of a thread's replies
# sent to the channel too), as Slack makes them.
MENTIONING = (None, "thread_broadcast", "file_share", "bot_message")


@dataclass(frozen=True)
class Subscriber:
    """What decides what an app receives: its id, bot and subscriptions."""

    app_id: str
    workspace_id: str
    bot_user_id: str
    events: frozenset[str]  # its bot's subscriptions
    verification_token: str
    installer: str | None = None  # whose user events it gets (a person's token of the app)
    user_events: frozenset[str] = frozenset()

    @classmethod
    def of(cls, app: App, bot_events: tuple[str, ...], user_events: tuple[str, ...]) -> Subscriber:
        installer = app.installed_by if user_events else None
        return cls(
            app.id,
            app.workspace_id,
            app.bot_user_id,
            frozenset(bot_events),
            verification_token(app),
            installer,
            frozenset(user_events) if installer else frozenset(),
        )


def verification_token(app: App) -> str:
    """Slack's deprecated verification token (`token` in each payload): derived from the
    signing secret, so it is stable and secret without another column."""
    return hashlib.sha256(f"verification:{app.signing_secret}".encode()).hexdigest()[:24]


def callbacks(
    subscriber: Subscriber,
    event: Event,
    kind_of_channel: str | None,
    *,
    bot_sees: bool = True,
    installer_sees: bool = False,
) -> Iterator[dict[str, Any]]:
    """The event_callback bodies this event makes for the app (none, one, or a message and
    the app_mention it makes): as its bot's event if the bot sees it and subscribed to it,
    else as its installer's (a user event), once either way, as Slack sends it."""
    payload = event.payload
    kind = event.type
    if kind in NOT_FOR_APPS or event.position is None:
        return
    if kind == "message" and payload.get("subtype") in RTM_SUBTYPES:
        return
    inner = _app_event(event, kind_of_channel)
    subscription = subscription_of(kind, kind_of_channel)
    if bot_sees and (subscription in subscriber.events or kind in ALWAYS):
        yield _wrap(subscriber, event, inner, 0, subscriber.bot_user_id)
    elif installer_sees and subscription in subscriber.user_events and subscriber.installer:
        yield _wrap(subscriber, event, inner, 0, subscriber.installer)
    if (
        bot_sees
        and kind == "message"
        and "app_mention" in subscriber.events
        and payload.get("subtype") in MENTIONING
        and f"<@{subscriber.bot_user_id}" in str(payload.get("text", ""))
        and payload.get("user") != subscriber.bot_user_id
    ):
        mention = {**inner, "type": "app_mention"}
        mention.pop("channel_type", None)
        yield _wrap(subscriber, event, mention, 1, subscriber.bot_user_id)


def _app_event(event: Event, kind_of_channel: str | None) -> dict[str, Any]:
    inner = dict(event.payload)
    if event.type == "message":
        inner.setdefault("event_ts", inner.get("ts"))
        inner.setdefault("team", event.workspace_id)
        if kind_of_channel is not None:
            inner["channel_type"] = kind_of_channel
    return inner


def _wrap(
    subscriber: Subscriber, event: Event, inner: dict[str, Any], part: int, authorized: str
) -> dict[str, Any]:
    """The envelope, authorized for the app's bot, or for its installer (a user event)."""
    position = event.position
    assert position is not None, "only logged events reach apps"
    event_ts = str(inner.get("event_ts") or inner.get("ts") or "0")
    return {
        "token": subscriber.verification_token,
        "team_id": subscriber.workspace_id,
        "context_team_id": subscriber.workspace_id,
        "context_enterprise_id": None,
        "api_app_id": subscriber.app_id,
        "event": inner,
        "type": "event_callback",
        "event_id": event_id(position.epoch, position.seq, part),
        "event_time": int(float(event_ts)) if _is_number(event_ts) else 0,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": subscriber.workspace_id,
                "user_id": authorized,
                "is_bot": authorized == subscriber.bot_user_id,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": bool(event.relay_to),
        "event_context": f"4-{event.workspace_id}-{position.seq}",
    }


def event_id(epoch: str, seq: int, part: int) -> str:
    """Slack's `Ev...` id, the same for every attempt at delivering one event (apps drop
    repeats by it): from its place in the log."""
    return f"Ev{epoch[:8].upper()}{seq:08X}{part}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
