"""Pinning messages to their channel; members pin and unpin, anyone who can see lists."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.exc import IntegrityError

from backchannel.errors import BackchannelError
from backchannel.models import Channel, Pin
from backchannel.services.channels import access_channel_txn
from backchannel.services.context import ServiceContext
from backchannel.services.messages import conversation_txn, live_message_txn
from backchannel.storage import channels
from backchannel.storage import pins as store
from backchannel.storage.connection import Conn
from backchannel.storage.reactions import with_reactions_txn


async def pin_message(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        await _member_channel_txn(conn, workspace_id, user_id, channel_id)
        await live_message_txn(conn, channel_id, ts)
        if await store.is_pinned_txn(conn, channel_id, ts):
            raise _already_pinned(ts)
        try:
            await store.add_pin_txn(
                conn, channel_id=channel_id, ts=ts, pinned_by=user_id, now=ctx.clock()
            )
        except IntegrityError:
            # Pinned concurrently by someone else (PostgreSQL).
            raise _already_pinned(ts) from None


def _already_pinned(ts: str) -> BackchannelError:
    return BackchannelError(f"message {ts} is already pinned", slack_error="already_pinned")


async def unpin_message(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        await _member_channel_txn(conn, workspace_id, user_id, channel_id)
        await live_message_txn(conn, channel_id, ts)
        if not await store.remove_pin_txn(conn, channel_id, ts):
            raise BackchannelError(f"message {ts} is not pinned", slack_error="no_pin")


async def list_pins(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str
) -> list[Pin]:
    """The channel's pins, the most recently pinned first, their messages with reactions."""
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        await access_channel_txn(conn, workspace_id, user_id, channel_id)
        found = await store.list_pins_txn(conn, channel_id)
        pinned = await with_reactions_txn(conn, [pin.message for pin in found])
    return [replace(pin, message=message) for pin, message in zip(found, pinned, strict=True)]


async def _member_channel_txn(
    conn: Conn, workspace_id: str, user_id: str, channel_id: str
) -> Channel:
    """Pins change the channel for everyone: only its members may, and not once archived."""
    channel = await access_channel_txn(conn, workspace_id, user_id, channel_id)
    if channel.is_archived:
        raise BackchannelError("the channel is archived", slack_error="is_archived")
    if not await channels.is_member_txn(conn, channel_id, user_id):
        raise BackchannelError("join the channel first", slack_error="not_in_channel")
    return channel
