"""GET /avatars/{user_id}/{hash}.{ext}: profile photos, to anyone with the URL (as Slack's);
GET /avatars/default/{colour}/{initials}.svg: the default avatar of everyone without one.

The hash is the image's, so a URL always shows the same bytes: it is cached for a year.
A photo replaced or removed makes its old URL answer 404. A default avatar's URL names all
it shows (default_avatars.py), so it is cached for a year too. See docs/webapp.md (Avatars).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from backchannel.default_avatars import AVATAR_HEADERS, PATH, default_avatar_at
from backchannel.errors import StorageUnavailable
from backchannel.services import ServiceContext
from backchannel.services.people import avatars

log = logging.getLogger(__name__)


def avatar_routes(ctx: ServiceContext) -> list[Route]:
    async def serve(request: Request) -> Response:
        user_id = request.path_params["user_id"]
        avatar_hash, _, _ = request.path_params["name"].partition(".")
        try:
            found = await avatars.get_photo(ctx, user_id, avatar_hash)
        except StorageUnavailable as exc:
            log.warning("avatar of %s failed: %s", user_id, exc.message)
            return PlainTextResponse("service_unavailable", 503, headers={"Retry-After": "1"})
        if found is None:
            return PlainTextResponse("not found", 404)
        return Response(found.image, media_type=found.content_type, headers=AVATAR_HEADERS)

    async def serve_default(request: Request) -> Response:
        picture = default_avatar_at(request.path_params["path"])
        if picture is None:
            return PlainTextResponse("not found", 404)
        return Response(picture, media_type="image/svg+xml", headers=AVATAR_HEADERS)

    return [
        Route(PATH + "{path:path}", serve_default, methods=["GET"]),
        Route("/avatars/{user_id}/{name}", serve, methods=["GET"]),
    ]
