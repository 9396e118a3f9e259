"""GET /api/openapi.json: Slack's own description of the methods this server implements.

The packaged slack_web_api.json is a copy of part of Slack's published spec, made by
scripts/sync_slack_spec.py; here it is narrowed to the methods registered in this process.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from backchannel.webapp.registry import METHODS
from backchannel.webapp.responses import SlackResponse


@functools.cache
def packaged_spec() -> dict[str, Any]:
    text = resources.files("backchannel.webapp").joinpath("slack_web_api.json").read_text()
    return dict(json.loads(text))


def openapi_document(host: str | None = None) -> dict[str, Any]:
    document = dict(packaged_spec())
    document["paths"] = {
        path: operations
        for path, operations in document["paths"].items()
        if path.removeprefix("/") in METHODS
    }
    if host is not None:
        document["host"] = host
        document["schemes"] = ["http"]
    return document


def openapi_route() -> Route:
    async def serve(request: Request) -> SlackResponse:
        return SlackResponse(openapi_document(request.headers.get("host")))

    return Route("/api/openapi.json", serve, methods=["GET"])
