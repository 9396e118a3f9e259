"""The bytes of files (docs/files.md): POST /upload/v1/{token}, the single-use upload URL
that files.getUploadURLExternal hands out (the body is the file, as slack_sdk sends it), and
GET /files-pri/{file_id}[/download]/{name}, a file's url_private(_download), served to a
token (Authorization: Bearer) of someone who may see it and answered 404 to anyone else.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from backchannel.errors import AuthError, BackchannelError, InvalidArgument, NotFound
from backchannel.services import ServiceContext
from backchannel.services.files import reading, uploads
from backchannel.services.files.sniffing import INLINE_IMAGES
from backchannel.services.identity.auth import authenticate
from backchannel.webapp import scopes
from backchannel.webapp.browser import SESSION_COOKIE
from backchannel.webapp.params import bearer_token

log = logging.getLogger(__name__)


def file_routes(ctx: ServiceContext) -> list[Route]:
    async def upload(request: Request) -> Response:
        try:
            await uploads.receive_upload(ctx, request.path_params["token"], request.stream())
        except NotFound:
            return PlainTextResponse("not found", 404)
        except InvalidArgument as refused:
            return PlainTextResponse(refused.slack_error, 400)
        return PlainTextResponse("OK")

    async def serve(request: Request) -> Response:
        try:
            caller = await authenticate(
                ctx, bearer_token(request, {}), request.cookies.get(SESSION_COOKIE)
            )
            if scopes.refusal(caller, scopes.accepts("files.info")) is not None:
                raise NotFound("the token may not read files")
            file, blob = await reading.open_file(ctx, caller, request.path_params["file_id"])
        except (AuthError, NotFound):
            return PlainTextResponse("not found", 404)
        except BackchannelError as failed:
            log.warning("serving a file failed: %s", failed.slack_error)
            return PlainTextResponse("service_unavailable", 503, headers={"Retry-After": "1"})
        inline = file.mimetype in INLINE_IMAGES and not request.path_params.get("download")
        headers = {
            "Content-Length": str(blob.size),
            "Content-Disposition": "inline" if inline else "attachment",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        media_type = file.mimetype or "application/octet-stream"
        return StreamingResponse(blob.chunks, media_type=media_type, headers=headers)

    async def serve_download(request: Request) -> Response:
        request.path_params["download"] = True
        return await serve(request)

    return [
        Route(uploads.UPLOAD_PATH + "{token}", upload, methods=["POST"]),
        Route("/files-pri/{file_id}/download/{name}", serve_download, methods=["GET"]),
        Route("/files-pri/{file_id}/{name}", serve, methods=["GET"]),
    ]
