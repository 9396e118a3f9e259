"""Pinning messages to their channel; members pin and unpin, whoever may read it lists.

Pinning and unpinning publish pin_added and pin_removed to the channel (docs/realtime.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from backchannel.errors import BackchannelError
from backchannel.models import Event, Pin
from backchannel.models.events import to_channel
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import (
    conversation_txn,
    readable_channel_txn,
    writable_channel_txn,
)
from backchannel.services.conversations.channels import now_ts
from backchannel.services.messaging.messages import live_message_txn
from backchannel.services.realtime import events
from backchannel.storage.shard import pins as store
from backchannel.storage.shard.reactions import with_reactions_txn
from backchannel.wire import message_json


async def pin_message(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        await writable_channel_txn(conn, workspace_id, user_id, channel_id)
        message = await live_message_txn(conn, channel_id, ts)
        if await store.is_pinned_txn(conn, channel_id, ts):
            raise _already_pinned(ts)
        pin = Pin(message, pinned_by=user_id, created=ctx.clock())
        try:
            await store.add_pin_txn(
                conn, channel_id=channel_id, ts=ts, pinned_by=user_id, now=pin.created
            )
        except IntegrityError:
            # Pinned concurrently by someone else (PostgreSQL).
            raise _already_pinned(ts) from None
        await events.append_txn(ctx, conn, _pin_event("pin_added", pin, user_id, now_ts(ctx)))


def _already_pinned(ts: str) -> BackchannelError:
    return BackchannelError(f"message {ts} is already pinned", slack_error="already_pinned")


async def unpin_message(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, ts: str
) -> None:
    async with conversation_txn(ctx, channel_id, write=True) as conn:
        await writable_channel_txn(conn, workspace_id, user_id, channel_id)
        await live_message_txn(conn, channel_id, ts)
        # The pin itself (who pinned it, when) and whether others stay, for the event.
        pinned = await store.list_pins_txn(conn, channel_id)
        pin = next((pin for pin in pinned if pin.message.ts == ts), None)
        if pin is None or not await store.remove_pin_txn(conn, channel_id, ts):
            raise BackchannelError(f"message {ts} is not pinned", slack_error="no_pin")
        event = _pin_event("pin_removed", pin, user_id, now_ts(ctx), has_pins=len(pinned) > 1)
        await events.append_txn(ctx, conn, event)


def _pin_event(
    kind: str, pin: Pin, user_id: str, event_ts: str, *, has_pins: bool | None = None
) -> Event:
    message = pin.message
    item = {
        "type": "message",
        "channel": message.channel_id,
        "message": message_json(message),
        "created": int(pin.created),
        "created_by": pin.pinned_by,
    }
    payload: dict[str, Any] = {
        "type": kind,
        "user": user_id,
        "channel_id": message.channel_id,
        "item": item,
        "event_ts": event_ts,
    }
    if has_pins is not None:
        payload["has_pins"] = has_pins
    return to_channel(message.workspace_id, message.channel_id, payload)


async def list_pins(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, channel_id: str, is_bot: bool = False
) -> list[Pin]:
    """The channel's pins, the most recently pinned first, their messages with reactions."""
    async with conversation_txn(ctx, channel_id, write=False) as conn:
        await readable_channel_txn(conn, workspace_id, user_id, channel_id, is_bot=is_bot)
        found = await store.list_pins_txn(conn, channel_id)
        pinned = await with_reactions_txn(conn, [pin.message for pin in found])
    return [replace(pin, message=message) for pin, message in zip(found, pinned, strict=True)]
