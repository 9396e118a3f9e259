"""Reading a Web API call the ways Slack accepts: query string, form body, or JSON body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from backchannel.errors import InvalidArgument
from backchannel.nul import may_hold_nul, without_nul
from backchannel.services.people.avatars import MAX_IMAGE_BYTES
from backchannel.webapp.responses import RequestTooLarge

MAX_BODY = 1_000_000
# Past the limit, what keeps coming of a refused body is read and thrown away (this much at
# most, and only while it comes) before the refusal is sent: a server that closes with
# bytes unread makes the kernel reset the connection, and the client would see a reset
# instead of request_too_large. A body declared longer still is refused at once.
DISCARD_AT_MOST = 8 * MAX_BODY
DISCARD_IDLE_SECONDS = 1.0
# A multipart body may carry a photo (users.setPhoto) besides the usual fields.
MAX_MULTIPART_BODY = MAX_BODY + MAX_IMAGE_BYTES


@dataclass(frozen=True)
class FilePart:
    """A file sent in a multipart body (users.setPhoto's image), read whole."""

    filename: str
    content_type: str
    data: bytes


class InvalidJson(InvalidArgument):
    slack_error = "invalid_json"


async def read_params(request: Request) -> dict[str, Any]:
    """All arguments of the call: query string first, then the body's fields over it; no
    U+0000 in any of their strings (backchannel/nul.py)."""
    params: dict[str, Any] = dict(request.query_params)
    body = b""
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = MAX_MULTIPART_BODY if content_type == "multipart/form-data" else MAX_BODY
        body = await read_body(request, limit)
        params.update(await _body_fields(request, content_type, body))
    if may_hold_nul(body) or may_hold_nul(request.url.query.encode()):
        params = without_nul(params)
    return params


async def _body_fields(request: Request, content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a POST's body, as its content type has them (another type: none)."""
    params: dict[str, Any] = {}
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
            form = await _replayed(request, body).form()
        except (HTTPException, MultiPartException, ValueError):  # Starlette wraps its own
            raise InvalidArgument(
                "the multipart body cannot be read", slack_error="invalid_form_data"
            ) from None
        params.update(await _form_fields(form))
    return params


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, up to `limit` bytes: one declared longer is refused before any
    of it is read, and one sent without a length (chunked) as soon as it passes the limit.
    Nothing past the limit is held, whoever sends it (the token may be in the body, so
    this comes before authentication)."""
    too_large = RequestTooLarge(f"the request body is over {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + DISCARD_AT_MOST:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    stream = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            await _discard(stream, limit + DISCARD_AT_MOST - size)
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _discard(stream: AsyncIterator[bytes], at_most: int) -> None:
    """Read and drop what keeps coming of a refused body, up to `at_most` bytes."""
    while at_most > 0:
        try:
            async with asyncio.timeout(DISCARD_IDLE_SECONDS):
                at_most -= len(await anext(stream))
        except (TimeoutError, StopAsyncIteration, ClientDisconnect):
            return


def _replayed(request: Request, body: bytes) -> Request:
    """The request again, its body (already read) served from memory: for Starlette's
    multipart parser, which reads the body itself."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


async def _form_fields(form: FormData) -> dict[str, str | FilePart]:
    """Text fields as strings, files as FileParts; the form's spooled files are closed."""
    fields: dict[str, str | FilePart] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                content_type = value.content_type or "application/octet-stream"
                fields[key] = FilePart(value.filename or "", content_type, data)
            else:
                fields[key] = value
    finally:
        await form.close()
    return fields


def bearer_token(request: Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = params.get("token")
    return token if isinstance(token, str) and token else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
