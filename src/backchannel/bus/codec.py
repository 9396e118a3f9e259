"""Events on the bus: one compact JSON object each (orjson), stamped with when it was sent."""

from __future__ import annotations

import time
from typing import Any

import orjson

from backchannel.models import Event, Position


def encode_event(event: Event) -> bytes:
    # The wall clock, not the deployment's injected one: the edge measures the bus's lag
    # against its own (docs/metrics.md).
    body: dict[str, Any] = {
        "w": event.workspace_id,
        "s": event.scope,
        "p": event.payload,
        "t": time.time(),
    }
    if event.channel_id is not None:
        body["c"] = event.channel_id
    if event.user_id is not None:
        body["u"] = event.user_id
    if event.membership is not None:
        body["m"] = event.membership
    if event.skip_user is not None:
        body["x"] = event.skip_user
    if event.position is not None:
        position = event.position
        body["at"] = [position.stream, position.epoch, position.seq]
    return orjson.dumps(body)


def decode_event(data: bytes) -> Event:
    """The event in `data`; ValueError (or KeyError, TypeError) if it is not one."""
    body = orjson.loads(data)
    at = body.get("at")
    return Event(
        workspace_id=body["w"],
        scope=body["s"],
        payload=body["p"],
        channel_id=body.get("c"),
        user_id=body.get("u"),
        membership=body.get("m"),
        skip_user=body.get("x"),
        position=Position(at[0], at[1], int(at[2])) if at else None,
        sent_at=body.get("t"),
    )
