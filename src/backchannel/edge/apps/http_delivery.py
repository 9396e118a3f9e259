"""Delivery over the Events API (docs/apps.md): each envelope POSTed to the app's Request
URL, signed, in the log's order, one at a time.

Beyond Slack, which gives an event up after 3 retries: while nothing answers (the app is
down: refused, timed out), the event is tried again, backing off up to a minute, and
nothing after it is sent before it; when the app is back it gets everything it missed, in
order. An app that answers with an error is retried 3 times, as Slack does, then the event
is given up; `X-Slack-No-Retry: 1` gives it up at once. A URL that has failed everything
for `app_disable_after_minutes` is disabled, with the reason kept for admins. Nothing is
POSTed to a URL before it has answered Slack's url_verification challenge.
"""

from __future__ import annotations

import logging
import time

import httpx

from backchannel.edge.apps.delivery import ChannelTypes, Delivery, Pending
from backchannel.errors import BackchannelError
from backchannel.models import App
from backchannel.services import ServiceContext
from backchannel.services.apps import delivery, http_events
from backchannel.services.apps.installs import manifest_of

log = logging.getLogger(__name__)

MAX_RETRIES = 3  # of an answer that is an error, as Slack
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds before each retry while nothing answers


class HttpDelivery(Delivery):
    window = 1
    resent = "http_timeout"

    def __init__(
        self,
        ctx: ServiceContext,
        app: App,
        channel_type: ChannelTypes,
        client: httpx.AsyncClient,
        disable_after: float,
    ) -> None:
        super().__init__(ctx, app, channel_type)
        self.url = manifest_of(app).request_url
        self._client = client
        self._disable_after = disable_after
        self._verified = app.url_verified is not None
        self._disabled = app.delivery_disabled is not None
        self._failing_since: float | None = None
        self._check_after = 0.0  # when to try the challenge again
        self._checks = 0  # challenges failed in a row

    def active(self) -> bool:
        return self.url is not None and not self._disabled

    async def before(self) -> bool:
        if self._verified or self.url is None:
            return True
        if time.monotonic() < self._check_after:
            return False
        try:
            await http_events.verify_url(self._client, self.app, self.url)
        except BackchannelError as exc:
            self._checks += 1
            self._check_after = time.monotonic() + BACKOFF[min(self._checks, len(BACKOFF)) - 1]
            await self._failed(exc.message)
            return False
        await delivery.url_verified(self.ctx, self.app.id)
        self._verified = True
        return True

    async def send(self, key: str | None, pending: Pending) -> str | None:
        assert self.url is not None, "active() holds a URL"
        if key is not None:
            pending.attempt += 1
        answer = await http_events.post(
            self._client,
            self.app,
            self.url,
            pending.body,
            attempt=pending.attempt,
            reason=pending.reason,
        )
        if answer.delivered:
            self._failing_since = None
            return None
        await self._failed(answer.reason)
        if not answer.retry or (not answer.app_down and pending.attempt >= MAX_RETRIES):
            log.warning("app %s: an event was refused: given up", self.app.id)
            return None
        pending.reason = answer.reason
        pending.due = time.monotonic() + BACKOFF[min(pending.attempt, len(BACKOFF) - 1)]
        return key or str(pending.body.get("event_id"))

    async def _failed(self, reason: str) -> None:
        now = self.ctx.clock()
        if self._failing_since is None:
            self._failing_since = now
        elif now - self._failing_since >= self._disable_after and not self._disabled:
            minutes = self._disable_after / 60
            why = f"every delivery to the Request URL failed for {minutes:g} minutes: {reason}"
            await delivery.disable_url(self.ctx, self.app.id, why)
            self._disabled = True
            log.warning("app %s: Request URL disabled (%s)", self.app.id, reason)
