"""Messages: posting (more verbs arrive with the Web API)."""

from __future__ import annotations

from backchannel.errors import BackchannelError, InvalidArgument
from backchannel.models import Message
from backchannel.router import ShardFor
from backchannel.services.channels import access_channel_txn
from backchannel.services.context import ServiceContext
from backchannel.storage import channels
from backchannel.storage import messages as store

MAX_TEXT = 40_000


async def post_message(
    ctx: ServiceContext,
    *,
    workspace_id: str,
    user_id: str,
    channel_id: str,
    text: str,
    thread_ts: str | None = None,
    bot_id: str | None = None,
) -> Message:
    if not text.strip():
        raise InvalidArgument("the message has no text", slack_error="no_text")
    if len(text) > MAX_TEXT:
        raise InvalidArgument(
            f"the message is {len(text)} characters; at most {MAX_TEXT}", slack_error="msg_too_long"
        )
    async with ctx.router.write(ShardFor(channel_id)) as conn:
        channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if channel.is_archived:
            raise BackchannelError("the channel is archived", slack_error="is_archived")
        if not await channels.is_member_txn(conn, channel_id, user_id):
            raise BackchannelError("join the channel first", slack_error="not_in_channel")
        if (
            thread_ts is not None
            and await store.get_message_txn(conn, channel_id, thread_ts) is None
        ):
            raise InvalidArgument(
                f"no message {thread_ts} to reply to", slack_error="thread_not_found"
            )
        draft = Message(
            channel_id=channel_id,
            ts="",
            workspace_id=channel.workspace_id,
            user_id=user_id,
            bot_id=bot_id,
            text=text,
            thread_ts=thread_ts,
        )
        return await store.insert_message_txn(conn, draft, ctx.clock())


async def add_reaction(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str, name: str
) -> None:
    async with ctx.router.write(ShardFor(channel_id)) as conn:
        await access_channel_txn(conn, workspace_id, user_id, channel_id)
        if await store.get_message_txn(conn, channel_id, ts) is None:
            raise InvalidArgument(f"no message {ts}", slack_error="message_not_found")
        await store.add_reaction_txn(
            conn, channel_id=channel_id, ts=ts, name=name, user_id=user_id, now=ctx.clock()
        )
