"""Who sees a file (docs/files.md): its uploader, and whoever may read a conversation it is
shared in (services/conversations/access.py). Anyone else is told it does not exist
(file_not_found), as for a conversation they may not see."""

from __future__ import annotations

from backchannel.errors import BackchannelError
from backchannel.models import TokenInfo
from backchannel.models.files import StoredFile
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import conversation_txn, readable_channel_txn
from backchannel.services.files.uploads import file_home, no_file
from backchannel.storage.blobs import BlobStream
from backchannel.storage.shard import files as store


async def see_file(ctx: ServiceContext, caller: TokenInfo, file_id: str) -> StoredFile:
    """The file if `caller` may see it (its bytes arrived); file_not_found otherwise."""
    async with ctx.router.read(file_home(file_id)) as conn:
        file = await store.get_file_txn(conn, file_id)
    if file is None or file.state == "pending":
        raise no_file(file_id)
    if (file.workspace_id, file.user_id) == (caller.workspace_id, caller.user_id):
        return file
    for channel_id in file.shared_in():
        if await _reads(ctx, caller, channel_id):
            return file
    raise no_file(file_id)


async def _reads(ctx: ServiceContext, caller: TokenInfo, channel_id: str) -> bool:
    try:
        async with conversation_txn(ctx, channel_id, write=False) as conn:
            await readable_channel_txn(
                conn, caller.workspace_id, caller.user_id, channel_id, is_bot=caller.kind == "bot"
            )
    except BackchannelError as refused:  # not_in_channel too: a bot outside it
        if refused.slack_error in ("channel_not_found", "not_in_channel"):
            return False
        raise
    return True


async def open_file(
    ctx: ServiceContext, caller: TokenInfo, file_id: str
) -> tuple[StoredFile, BlobStream]:
    """The file's bytes, to a caller who may see it."""
    file = await see_file(ctx, caller, file_id)
    if file.sha256 is None:
        raise no_file(file_id)
    return file, await ctx.blobs.open(file.sha256)
