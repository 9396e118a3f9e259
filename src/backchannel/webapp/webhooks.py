"""POST /services/hooks/{id}/{secret}: Slack's incoming webhooks, answered as Slack does.

The body is Slack's webhook JSON, or a form with payload=<json>. Success is a plain-text
"ok"; a failure is Slack's error string as plain text with its HTTP status. The URL holds
the secret, so it is never logged: only the webhook's id is.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from backchannel.errors import BackchannelError, InvalidArgument, NotFound, StorageUnavailable
from backchannel.nul import may_hold_nul, without_nul
from backchannel.services import ServiceContext
from backchannel.services.messaging import webhooks
from backchannel.webapp.params import MAX_BODY, read_body
from backchannel.webapp.responses import RequestTooLarge

log = logging.getLogger(__name__)

# Slack's HTTP status for each webhook error; anything else the payload did wrong is a 400.
_STATUS = {
    "no_service": 404,
    "channel_not_found": 404,
    "thread_not_found": 404,
    "invalid_token": 403,
    "channel_is_archived": 410,
}


def webhook_routes(ctx: ServiceContext) -> list[Route]:
    async def receive(request: Request) -> PlainTextResponse:
        webhook_id = request.path_params["webhook_id"]
        try:
            webhook = await webhooks.authenticate_webhook(
                ctx, webhook_id, request.path_params["secret"]
            )
            post = webhooks.read_payload(_payload(await read_body(request, MAX_BODY), request))
            await webhooks.post_via_webhook(ctx, webhook, post)
        except StorageUnavailable as exc:
            log.warning("webhook %s failed: %s", webhook_id, exc.message)
            return PlainTextResponse("service_unavailable", 503, headers={"Retry-After": "1"})
        except RequestTooLarge as exc:
            return PlainTextResponse(exc.slack_error, exc.status, headers=exc.headers)
        except BackchannelError as exc:
            status = _STATUS.get(exc.slack_error, 404 if isinstance(exc, NotFound) else 400)
            return PlainTextResponse(exc.slack_error, status)
        except Exception:
            log.exception("webhook %s failed unexpectedly", webhook_id)
            return PlainTextResponse("internal_error", 500)
        return PlainTextResponse("ok")

    return [Route("/services/hooks/{webhook_id}/{secret}", receive, methods=["POST"])]


def _payload(body: bytes, request: Request) -> dict[str, Any]:
    """The JSON object a webhook call carries, in the body or in its `payload` form field.

    A body that starts with "{" is JSON whatever its content type: curl -d sends JSON
    labelled as a form, and Slack accepts it.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body.lstrip().startswith(b"{") and content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise _invalid("the form is not UTF-8") from None
        body = fields.get("payload", [""])[0].encode()
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _invalid("the payload is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise _invalid("the payload must be a JSON object")
    return without_nul(parsed) if may_hold_nul(body) else parsed


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(message, slack_error="invalid_payload")
