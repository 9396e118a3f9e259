"""One Socket Mode connection of an app (Slack's "link"): `hello` first, then envelopes; the
app acknowledges each by its `envelope_id`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection


@dataclass(eq=False)
class AppLink:
    connection: ServerConnection
    app_id: str
    token_hash: str | None  # the app-level token it was opened with: revoking it closes it
    host: str  # this edge, as debug_info names it
    opened: float = 0.0
    sent: int = field(default=0)

    async def hello(self, num_connections: int) -> None:
        await self.write(
            {
                "type": "hello",
                "num_connections": num_connections,
                "debug_info": {
                    "host": self.host,
                    "build_number": 1,
                    "approximate_connection_time": 3600,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )

    async def send(self, kind: str, payload: dict[str, Any], attempt: int, reason: str) -> str:
        """Send an envelope; its id, which the app's acknowledgement names."""
        envelope_id = str(uuid.uuid4())
        await self.write(
            {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": kind,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": attempt,
                "retry_reason": reason,
            }
        )
        self.sent += 1
        return envelope_id

    async def disconnect(self, reason: str) -> None:
        """Slack's notice before a connection goes: `warning` (soon), `refresh_requested`
        (now: open another); the app's SDK opens a new one."""
        await self.write(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": self.host}}
        )

    async def write(self, message: dict[str, Any]) -> None:
        # A text frame of the encoded bytes: no round trip through str.
        await self.connection.send(orjson.dumps(message), text=True)


def read_ack(raw: str | bytes) -> tuple[str, Any] | None:
    """(envelope id, response payload) of an acknowledgement; None for anything else."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
        return None
    return message["envelope_id"], message.get("payload")
