"""Who sent a frame on a socket, and what answers it: the context every handler gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backchannel.edge.cache.rows import WorkspaceCache
from backchannel.edge.cache.workspaces import EdgeCache
from backchannel.edge.frames import json_frame
from backchannel.edge.room import Room
from backchannel.edge.session import Session
from backchannel.services import ServiceContext


@dataclass(frozen=True)
class Peer:
    ctx: ServiceContext
    cache: EdgeCache
    room: Room
    session: Session

    def reply(self, frame: dict[str, Any], body: dict[str, Any]) -> None:
        """Answer a request frame: {"ok": true, "reply_to": its id, ...body}."""
        self.session.write(json_frame({"ok": True, "reply_to": frame.get("id"), **body}))

    async def workspace(self) -> WorkspaceCache:
        """The workspace's cache, which from now on also feeds the room's pushes."""
        cache = await self.cache.get(self.session.workspace_id)
        self.room.cache = cache
        return cache


Handler = Callable[[Peer, dict[str, Any]], Awaitable[None]]
