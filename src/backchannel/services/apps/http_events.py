"""The Events API over HTTP (docs/apps.md): a request to an app's Request URL, signed as
Slack signs them, and what its answer means; the `url_verification` challenge.

Slack's rules: the body is signed with the app's signing secret (`X-Slack-Signature`:
`v0=` and the HMAC-SHA256 of `v0:{timestamp}:{body}`, `X-Slack-Request-Timestamp`); an
answer other than 2xx within 3 s is a failure, retried with `X-Slack-Retry-Num` and
`X-Slack-Retry-Reason`; an answer with `X-Slack-No-Retry: 1` is not retried.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from backchannel.errors import InvalidArgument
from backchannel.models import App
from backchannel.services.apps.envelopes import verification_token

ANSWER_SECONDS = 3.0
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    """How a request went: delivered, or why not and whether Slack would retry it."""

    delivered: bool
    reason: str = ""  # Slack's X-Slack-Retry-Reason for the next attempt
    retry: bool = True  # False: the app asked for no retry
    app_down: bool = False  # nothing answered (not an answer the app chose)
    body: bytes = b""


async def post(
    client: httpx.AsyncClient,
    app: App,
    url: str,
    payload: dict[str, Any],
    *,
    attempt: int = 0,
    reason: str = "",
) -> Answer:
    """POST one payload to the app, signed; never raises for the app's failures."""
    body = orjson.dumps(payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(app.signing_secret, timestamp, body),
    }
    if attempt:
        headers["X-Slack-Retry-Num"] = str(attempt)
        headers["X-Slack-Retry-Reason"] = reason or "http_error"
    try:
        response = await client.post(url, content=body, headers=headers, timeout=ANSWER_SECONDS)
    except httpx.TimeoutException:
        return Answer(False, "http_timeout", app_down=True)
    except httpx.TooManyRedirects:
        return Answer(False, "too_many_redirects")
    except httpx.TransportError as exc:
        ssl = "SSL" in type(exc).__name__ or "ssl" in str(exc).lower()
        return Answer(False, "ssl_error" if ssl else "connection_failed", app_down=True)
    if 200 <= response.status_code < 300:
        return Answer(True, body=response.content)
    no_retry = response.headers.get("x-slack-no-retry") == "1"
    return Answer(False, "http_error", retry=not no_retry, body=response.content)


async def verify_url(client: httpx.AsyncClient, app: App, url: str) -> None:
    """Slack's url_verification: the URL must answer the challenge sent to it (as text, as
    JSON `{"challenge": ...}`, or as a form); InvalidArgument otherwise."""
    challenge = secrets.token_urlsafe(24)
    payload = {"token": verification_token(app), "challenge": challenge, "type": "url_verification"}
    answer = await post(client, app, url, payload)
    if not answer.delivered:
        raise InvalidArgument(
            f"the Request URL did not answer the challenge ({answer.reason})",
            slack_error="url_verification_failed",
        )
    if challenge.encode() not in answer.body:
        raise InvalidArgument(
            "the Request URL answered without the challenge", slack_error="url_verification_failed"
        )
