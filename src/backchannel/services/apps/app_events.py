"""The events Slack sends an app about itself (docs/apps.md, Uninstalling): `tokens_revoked`
and `app_uninstalled`, whatever it subscribed to. Each goes into its workspace's log
addressed to the app's bot user alone, so that app's delivery, which sees the log as its
bot does, is the only one to hand it on; RTM clients of people never see them.
"""

from __future__ import annotations

from collections.abc import Iterable

from backchannel.models import App, Event, TokenInfo
from backchannel.models.events import to_user
from backchannel.types import ts_at

# Slack's key in `tokens` for each kind of token an app holds: a person's (OAuth) token
# and its bot's. App-level tokens (xapp) are not listed: Slack's event has no key for them.
TOKEN_KEYS = {"user": "oauth", "bot": "bot"}


def tokens_revoked(app: App, revoked: Iterable[TokenInfo], now: float) -> Event:
    """Slack's `tokens_revoked`: the users whose tokens of this app were revoked, by kind
    (`{"oauth": [...], "bot": [...]}`, only the kinds revoked)."""
    tokens: dict[str, list[str]] = {}
    for info in revoked:
        key = TOKEN_KEYS.get(info.kind)
        if key is not None and info.user_id not in tokens.get(key, []):
            tokens.setdefault(key, []).append(info.user_id)
    payload = {"type": "tokens_revoked", "tokens": tokens, "event_ts": ts_at(now)}
    return to_user(app.workspace_id, app.bot_user_id, payload)


def app_uninstalled(app: App, now: float) -> Event:
    """Slack's `app_uninstalled` (the envelope's team_id and api_app_id say which)."""
    payload = {"type": "app_uninstalled", "event_ts": ts_at(now)}
    return to_user(app.workspace_id, app.bot_user_id, payload)
