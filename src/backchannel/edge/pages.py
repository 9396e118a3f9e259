"""What an edge's port answers to a plain GET instead of opening a websocket: Prometheus's
page (docs/metrics.md), and default avatars, whose URLs an edge-only process gives in the
boots and events it makes itself (docs/webapp.md, Avatars)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import unquote

from websockets.datastructures import Headers
from websockets.http11 import Response

from backchannel.default_avatars import AVATAR_HEADERS, PATH, default_avatar_at
from backchannel.metrics import CONTENT_TYPE, Metrics


def page_for(path: str, metrics: Metrics) -> Response | None:
    """The page at `path` (a URL's path, still quoted), or None where a socket opens."""
    if path == "/metrics":  # no token: docs/metrics.md
        return _page(HTTPStatus.OK, metrics.exposition(), {"Content-Type": CONTENT_TYPE})
    if path.startswith(PATH):
        picture = default_avatar_at(unquote(path.removeprefix(PATH)))
        if picture is None:
            return _page(HTTPStatus.NOT_FOUND, b"not found\n", {"Content-Type": "text/plain"})
        headers = {"Content-Type": "image/svg+xml", **AVATAR_HEADERS}
        return _page(HTTPStatus.OK, picture.encode(), headers)
    return None


def _page(status: HTTPStatus, body: bytes, headers: dict[str, str]) -> Response:
    every = Headers([("Connection", "close"), ("Content-Length", str(len(body)))])
    every.update(headers)
    return Response(status.value, status.phrase, every, body)
