"""A file uploaded and shared through the services, as files_upload_v2's three steps do."""

from __future__ import annotations

from collections.abc import AsyncIterator

from backchannel.services import ServiceContext
from backchannel.services.files import uploads


async def shared_file(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    content: bytes,
    name: str = "notes.txt",
) -> str:
    """The id of a file of `content` that the user shared into the channel."""
    ticket = await uploads.begin_upload(
        ctx, workspace_id=workspace_id, user_id=user_id, filename=name, length=len(content)
    )

    async def body() -> AsyncIterator[bytes]:
        yield content

    await uploads.receive_upload(ctx, ticket.upload_url.rsplit("/", 1)[1], body())
    await uploads.complete_upload(
        ctx,
        workspace_id=workspace_id,
        user_id=user_id,
        items=[{"id": ticket.file_id}],
        channel_id=channel_id,
        initial_comment="",
        thread_ts=None,
    )
    return ticket.file_id
