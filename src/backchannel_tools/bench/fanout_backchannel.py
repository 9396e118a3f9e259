"""The Backchannel half of `backchannel bench fanout`: its data, its server, its poster.

The workspace, its people and the channel are made through the services layer before the
server starts; the server is `backchannel serve` (web app and edge in one process); posts
go through the Web API as any client's would. See docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.errors import BackchannelError
from backchannel.services.conversations import channels
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from backchannel_tools.bench.fanout_socket import message_text
from backchannel_tools.bench.harness import ServerProcess

EDGE_LINE = "edge: "


@dataclass(frozen=True)
class Audience:
    tokens: list[str]  # one user token per person, every person a member of the channel
    channel_id: str


async def prepare(data_dir: Path, people: int) -> Audience:
    """A fresh deployment in data_dir: one workspace, `people` users, one public channel."""
    backchannel = await open_backchannel(Settings(storage=StorageSettings(data_dir=data_dir)))
    try:
        ctx = backchannel.ctx
        workspace = await workspaces.create_workspace(ctx, name="Fanout", domain="fanout")
        made = [
            await users.create_user(
                ctx, workspace=workspace.id, email=f"user{n}@fanout.test", name=f"Fanout {n}"
            )
            for n in range(people)
        ]
        channel = await channels.create_channel(
            ctx, workspace_id=workspace.id, creator=made[0].user.id, name="fanout"
        )
        for person in made[1:]:
            await channels.join_channel(
                ctx, workspace_id=workspace.id, user_id=person.user.id, channel_id=channel.id
            )
        return Audience([person.token for person in made], channel.id)
    finally:
        await backchannel.close()


class EdgeServer(ServerProcess):
    """`backchannel serve` with its edge on a free port too; both URLs from its banner."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, "--edge-port", "0")
        self.edge_url = self.wait_for_line(EDGE_LINE, timeout=30.0)[len(EDGE_LINE) :].split()[0]


class BackchannelPoster:
    """The Web API as the people of the channel, in turn: chat.postMessage, rtm.connect."""

    def __init__(self, api_url: str, audience: Audience) -> None:
        self.api_url = api_url
        self.audience = audience
        self.session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self.session = aiohttp.ClientSession()

    async def post(self, number: int) -> bool:
        assert self.session is not None
        tokens = self.audience.tokens
        fields = {"channel": self.audience.channel_id, "text": message_text(number)}
        headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
        url = f"{self.api_url}/api/chat.postMessage"
        async with self.session.post(url, data=fields, headers=headers) as reply:
            answer: dict[str, Any] = await reply.json()
        return bool(answer.get("ok"))

    async def rtm_connect(self, count: int, at_once: int = 32) -> None:
        """`count` rtm.connect calls whose tickets are never used (they expire)."""
        assert self.session is not None
        session, tokens = self.session, self.audience.tokens

        async def call(number: int) -> None:
            headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
            async with session.post(f"{self.api_url}/api/rtm.connect", headers=headers) as reply:
                answer = await reply.json()
            if not answer.get("ok"):
                raise BackchannelError(f"rtm.connect failed: {answer.get('error')}")

        for first in range(0, count, at_once):
            await asyncio.gather(*(call(n) for n in range(first, min(count, first + at_once))))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
