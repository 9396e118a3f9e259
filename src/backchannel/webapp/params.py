"""Reading a Web API call the ways Slack accepts: query string, form body, or JSON body."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from backchannel.errors import InvalidArgument

MAX_BODY = 1_000_000


class InvalidJson(InvalidArgument):
    slack_error = "invalid_json"


async def read_params(request: Request) -> dict[str, Any]:
    """All arguments of the call: query string first, then the body's fields over it."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidArgument(
            f"the request body is over {MAX_BODY} bytes", slack_error="request_too_large"
        )
    if content_type == "application/json":
        if not body:
            return params
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidJson("the body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise InvalidJson("the JSON body must be an object")
        params.update(parsed)
    elif content_type == "application/x-www-form-urlencoded":
        try:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise InvalidArgument("the form body is not UTF-8") from None
    elif content_type == "multipart/form-data":
        try:
            form = await request.form()
        except (HTTPException, MultiPartException, ValueError):  # Starlette wraps its own
            raise InvalidArgument(
                "the multipart body cannot be read", slack_error="invalid_form_data"
            ) from None
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def bearer_token(request: Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = params.get("token")
    return token if isinstance(token, str) and token else None
