"""Slack's own SDK clients, checking every reply against Slack's spec on the way."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from backchannel.webapp.registry import METHODS
from tests.support.slack_spec import validate_reply


class ValidatingAsyncWebClient(AsyncWebClient):
    """AsyncWebClient whose every reply, success or error, is validated against the spec."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:  # type: ignore[override]
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as failed:
            validate_reply(api_method, failed.response.data)
            raise
        if _published(api_method):
            validate_reply(api_method, response.data)
        return response


def _published(api_method: str) -> bool:
    """False for Backchannel's methods that Slack's spec lacks (client.counts): their
    errors are still held to Slack's error shape."""
    method = METHODS.get(api_method)
    return method is None or method.published
