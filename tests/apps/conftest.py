"""Slack apps against a live webapp and edge: installed from a manifest, and Bolt apps run
as their developers run them, in a process of their own."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.conversations import channels
from tests.conftest import Acme, dev_channel
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.node import NODE_PROJECT, require_node
from tests.webapp.conftest import alice, globex, server  # noqa: F401  (the Web API's fixtures)

BOLT = Path(__file__).parent / "bolt"
BOLT_JS = NODE_PROJECT / "bolt"  # beside the node_modules its imports resolve from

HELLO_MANIFEST = """
display_information:
  name: Hello Bolt
features:
  bot_user:
    display_name: hellobolt
oauth_config:
  scopes:
    bot: [chat:write, app_mentions:read, channels:history, groups:history, im:history,
          reactions:read, channels:read]
settings:
  event_subscriptions:
    bot_events: [message.channels, message.groups, message.im, app_mention, reaction_added]
  socket_mode_enabled: true
"""


HTTP_SETTINGS = """
settings:
  event_subscriptions:
    request_url: http://127.0.0.1:{port}/slack/events
    bot_events: [message.channels, message.groups, message.im, app_mention, reaction_added]
"""


@pytest.fixture
async def hello_app(ctx: ServiceContext, acme: Acme) -> installs.Installed:
    """The getting-started app over Socket Mode."""
    return await installs.create_app(ctx, workspace="acme", manifest=HELLO_MANIFEST)


@dataclass
class HttpApp:
    installed: installs.Installed
    port: int  # where its Bolt server is to listen


@pytest.fixture
async def http_app(ctx: ServiceContext, acme: Acme) -> HttpApp:
    """The getting-started app over the Events API, its Request URL on a free port."""
    port = free_port()
    manifest = HELLO_MANIFEST.split("settings:")[0] + HTTP_SETTINGS.format(port=port)
    installed = await installs.create_app(ctx, workspace="acme", manifest=manifest)
    return HttpApp(installed, port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(
    params=[
        pytest.param("hello.py", id="bolt-python"),
        pytest.param("hello.mjs", id="bolt-js", marks=pytest.mark.slow),  # node
    ]
)
def hello_bolt(request: pytest.FixtureRequest) -> str:
    """Bolt's getting-started app: Bolt for Python's, and Bolt for JS's (tests/node/bolt/),
    each changed only in its base URL; over Socket Mode, or the Events API given a port."""
    return str(request.param)


@dataclass
class BoltProcess:
    process: asyncio.subprocess.Process

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


StartBolt = Callable[..., Awaitable[BoltProcess]]


@pytest.fixture
async def start_bolt(server: str) -> AsyncIterator[StartBolt]:  # noqa: F811
    """start_bolt(script, installed, port=None, record=None): the Bolt app `script` in its
    own process, with the install's tokens, as its developer would run it: Bolt for Python's
    from tests/apps/bolt/, Bolt for JS's (`.mjs`) from tests/node/bolt/
    with node. The test asks for an edge (`edge_url`): deliveries to apps run on the edge."""
    running: list[BoltProcess] = []

    async def start(
        script: str, app: installs.Installed, *, port: int | None = None, record: Path | None = None
    ) -> BoltProcess:
        """Over Socket Mode, or with `port` on Bolt's HTTP server (the Events API)."""
        env = {
            **os.environ,
            "SLACK_API_URL": f"{server}/api/",
            "SLACK_BOT_TOKEN": app.bot_token,
            "SLACK_SIGNING_SECRET": app.app.signing_secret,
        }
        env |= {"PORT": str(port)} if port else {"SLACK_APP_TOKEN": app.app_token}
        if record is not None:
            env["RECORD"] = str(record)
        command, cwd = [sys.executable, str(BOLT / script)], None
        if script.endswith(".mjs"):
            require_node("@slack/bolt")
            command, cwd = ["node", str(BOLT_JS / script)], NODE_PROJECT
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=cwd, stdout=subprocess.DEVNULL
        )
        found = BoltProcess(process)
        running.append(found)
        return found

    yield start
    for found in running:
        await found.stop()


WAIT = 30.0  # seconds a Bolt process gets to start and answer (a bound, not a measure)


async def replies_by(
    client: ValidatingAsyncWebClient, channel: str, ts: str, user: str, count: int = 1
) -> list[dict[str, Any]]:
    """The thread's replies by `user`, once there are `count` of them."""
    async with asyncio.timeout(WAIT):
        while True:
            found = await client.conversations_replies(channel=channel, ts=ts)
            theirs = [m for m in found["messages"][1:] if m.get("user") == user]
            if len(theirs) >= count:
                return theirs
            await asyncio.sleep(0.1)


async def with_bot(ctx: ServiceContext, acme: Acme, app: installs.Installed) -> str:
    """#dev, with the app's bot invited by alice."""
    channel_id = await dev_channel(ctx, acme)
    await channels.invite_to_channel(
        ctx,
        workspace_id=acme.workspace.id,
        inviter=acme.alice.user.id,
        channel_id=channel_id,
        user_ids=[app.app.bot_user_id],
    )
    return channel_id


def received(record: Path) -> list[dict[str, Any]]:
    """What a Bolt app started with `record` was sent: event id, retry, team, channel, ts."""
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]
