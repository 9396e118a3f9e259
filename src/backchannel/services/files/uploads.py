"""Uploading a file as Slack's files_upload_v2 does (docs/files.md).

1. `begin_upload` (files.getUploadURLExternal): a pending file and a single-use upload URL.
2. `receive_upload` (POST to that URL): the bytes stream into the blob store; their length
   must be the one announced; their type is sniffed from them.
3. `complete_upload` (files.completeUploadExternal): the uploader's uploaded files are
   shared into a channel in one message, or kept private.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from backchannel.errors import InvalidArgument, NotFound
from backchannel.models.events import to_channel
from backchannel.models.files import StoredFile
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import conversation_txn
from backchannel.services.conversations.channels import now_ts
from backchannel.services.files.objects import file_json
from backchannel.services.files.sniffing import HEAD_BYTES, sniff
from backchannel.services.messaging.messages import post_message
from backchannel.services.realtime import events
from backchannel.storage.shard import files as store
from backchannel.types import FILE, is_keyed_id, keyspace_of, new_keyed_id

# Slack's limit per file (slack_sdk's MAX_V2_FILE_SIZE too).
MAX_FILE_BYTES = 1024**3
MAX_NAME = 255
UPLOAD_PATH = "/upload/v1/"


@dataclass(frozen=True)
class UploadTicket:
    file_id: str
    upload_url: str


async def begin_upload(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, filename: str, length: int
) -> UploadTicket:
    if length > MAX_FILE_BYTES:
        raise InvalidArgument(
            f"a file may have at most {MAX_FILE_BYTES} bytes", slack_error="file_too_large"
        )
    name = filename[:MAX_NAME]
    file = StoredFile(
        id=new_keyed_id(FILE, keyspace_of(workspace_id)),
        workspace_id=workspace_id,
        user_id=user_id,
        name=name,
        title=name,
        length=length,
        created=ctx.clock(),
        state="pending",
    )
    secret = secrets.token_urlsafe(24)
    async with ctx.router.write(ShardFor(file.id)) as conn:
        await store.insert_file_txn(conn, file, _hashed(secret))
    url = f"{ctx.public_url.rstrip('/')}{UPLOAD_PATH}{file.id}.{secret}"
    return UploadTicket(file.id, url)


def _hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def no_file(file_id: str) -> NotFound:
    return NotFound(f"no file {file_id}", slack_error="file_not_found")


def file_home(file_id: str) -> ShardFor:
    """The shard of a file: its uploader's workspace's, named by its id."""
    if not is_keyed_id(file_id) or file_id[0] != FILE:
        raise no_file(file_id)
    return ShardFor(file_id)


async def receive_upload(ctx: ServiceContext, token: str, chunks: AsyncIterable[bytes]) -> None:
    """Store the bytes sent to an upload URL (its last part, `token`); NotFound for an
    unknown or used one, InvalidArgument when the bytes are not as long as announced."""
    file_id, _, secret = token.partition(".")
    async with ctx.router.write(file_home(file_id)) as conn:
        file = await store.take_upload_txn(conn, file_id, _hashed(secret))
    if file is None:
        raise no_file(file_id)
    counted = _Counted(chunks, file.length)
    stored = await ctx.blobs.put(counted)
    if stored.size != file.length:
        # The blob stays: the same bytes may be another file's; the file stays pending.
        raise InvalidArgument(
            f"{stored.size} bytes arrived, {file.length} were announced",
            slack_error="invalid_length",
        )
    kind = sniff(counted.head)
    async with ctx.router.write(file_home(file_id)) as conn:
        await store.set_uploaded_txn(
            conn, file_id, sha256=stored.sha256, size=stored.size, mimetype=kind.mimetype
        )


class _Counted:
    """The upload's chunks, cut off once past the announced length, keeping the head."""

    def __init__(self, chunks: AsyncIterable[bytes], length: int) -> None:
        self._chunks = chunks
        self._length = length
        self.head = b""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._chunks:
            seen += len(chunk)
            if seen > self._length:
                raise InvalidArgument(
                    f"more than the {self._length} bytes announced", slack_error="invalid_length"
                )
            if len(self.head) < HEAD_BYTES:
                self.head += chunk[: HEAD_BYTES - len(self.head)]
            yield chunk


async def complete_upload(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    items: list[dict[str, Any]],
    channel_id: str | None,
    initial_comment: str,
    thread_ts: str | None,
) -> list[StoredFile]:
    """Share the caller's uploaded files into `channel_id` in one message (or keep them
    private without one); the files as they are now."""
    found = [await _own_upload(ctx, workspace_id, user_id, item) for item in items]
    if channel_id is None:
        shared = found
    else:
        where = (workspace_id, user_id, channel_id)
        shared = await _share(ctx, where, found, initial_comment, thread_ts)
    for file in shared:
        async with ctx.router.write(file_home(file.id)) as conn:
            await store.set_shared_txn(conn, file.id, title=file.title, shares=file.shares)
    return [replace(file, state="complete") for file in shared]


async def _own_upload(
    ctx: ServiceContext, workspace_id: str, user_id: str, item: dict[str, Any]
) -> StoredFile:
    file_id = item.get("id")
    if not isinstance(file_id, str):
        raise InvalidArgument("each file needs an id", slack_error="invalid_arguments")
    async with ctx.router.read(file_home(file_id)) as conn:
        file = await store.get_file_txn(conn, file_id)
    mine = file is not None and (file.workspace_id, file.user_id) == (workspace_id, user_id)
    if file is None or not mine or file.state != "uploaded":
        raise no_file(file_id)
    title = item.get("title")
    return replace(file, title=title[:MAX_NAME]) if isinstance(title, str) and title else file


async def _share(
    ctx: ServiceContext,
    where: tuple[str, str, str],
    found: list[StoredFile],
    initial_comment: str,
    thread_ts: str | None,
) -> list[StoredFile]:
    """One message with the files by the user of the workspace into the channel (`where`),
    then file_shared for each."""
    workspace_id, user_id, channel_id = where
    shown = [replace(f, shares=[*f.shares, {"channel": channel_id}]) for f in found]
    message = await post_message(
        ctx,
        workspace_id=workspace_id,
        user_id=user_id,
        channel_id=channel_id,
        text=initial_comment,
        thread_ts=thread_ts,
        files=[file_json(f, ctx.public_url) for f in shown],
    )
    shared = [
        replace(f, shares=[*f.shares, {"channel": message.channel_id, "ts": message.ts}])
        for f in found
    ]
    async with conversation_txn(ctx, message.channel_id, write=True) as conn:
        for file in shared:
            payload = {
                "type": "file_shared",
                "file_id": file.id,
                "user_id": user_id,
                "file": {"id": file.id},
                "channel_id": message.channel_id,
                "event_ts": now_ts(ctx),
            }
            event = to_channel(message.workspace_id, message.channel_id, payload)
            await events.append_txn(ctx, conn, event)
    return shared
