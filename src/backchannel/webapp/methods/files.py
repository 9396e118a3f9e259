"""files.*: uploading as files_upload_v2 does, and files.info (docs/files.md)."""

from __future__ import annotations

from backchannel.errors import InvalidArgument
from backchannel.services.files import reading, uploads
from backchannel.services.files.objects import file_json
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok


# Not in Slack's 2021 spec (published since): its errors are held to Slack's shape only.
@api_method("files.getUploadURLExternal", published=False)
async def get_upload_url(call: Call) -> SlackResponse:
    filename = call.args.string("filename")
    if "length" not in call.args:
        raise InvalidArgument("length is required")
    ticket = await uploads.begin_upload(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        filename=filename,
        length=call.args.number("length", 0),
    )
    return ok(upload_url=ticket.upload_url, file_id=ticket.file_id)


@api_method("files.completeUploadExternal", published=False)
async def complete_upload(call: Call) -> SlackResponse:
    items = call.args.json_list("files")
    if not items:
        raise InvalidArgument("files lists no file")
    shared = await uploads.complete_upload(
        call.ctx,
        workspace_id=call.caller.workspace_id,
        user_id=call.caller.user_id,
        items=items,
        channel_id=_channel(call),
        initial_comment=call.args.optional_string("initial_comment") or "",
        thread_ts=call.args.optional_ts("thread_ts"),
    )
    return ok(files=[file_json(file, call.base_url) for file in shared])


def _channel(call: Call) -> str | None:
    """channel_id, or `channels` naming one (sharing into several is not built)."""
    channel = call.args.optional_string("channel_id")
    if channel:
        return channel
    listed = call.args.csv("channels") if call.args.optional_string("channels") else []
    if len(listed) > 1:
        raise InvalidArgument("sharing into more than one channel is not built yet")
    return listed[0] if listed else None


@api_method("files.info")
async def info(call: Call) -> SlackResponse:
    file_id = call.args.string("file", error="file_not_found")
    file = await reading.see_file(call.ctx, call.caller, file_id)
    return ok(file=file_json(file, call.base_url), comments=[])
