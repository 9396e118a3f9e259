"""Slack apps against a live webapp and edge: installed from a manifest, and Bolt apps run
as their developers run them, in a process of their own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from tests.conftest import Acme
from tests.webapp.conftest import alice, server  # noqa: F401  (the Web API's fixtures)

BOLT = Path(__file__).parent / "bolt"

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


@pytest.fixture
async def hello_app(ctx: ServiceContext, acme: Acme) -> installs.Installed:
    return await installs.create_app(ctx, workspace="acme", manifest=HELLO_MANIFEST)


@dataclass
class BoltProcess:
    process: asyncio.subprocess.Process

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


StartBolt = Callable[..., Awaitable[BoltProcess]]


@pytest.fixture
async def start_bolt(server: str, edge_url: str) -> AsyncIterator[StartBolt]:  # noqa: F811
    """start_bolt(script, installed): the Bolt app `script` (tests/apps/bolt/) in its own
    process, with the install's tokens, as its developer would run it."""
    running: list[BoltProcess] = []

    async def start(script: str, app: installs.Installed, **extra: str) -> BoltProcess:
        env = {
            **os.environ,
            "SLACK_API_URL": f"{server}/api/",
            "SLACK_BOT_TOKEN": app.bot_token,
            "SLACK_APP_TOKEN": app.app_token,
            "SLACK_SIGNING_SECRET": app.app.signing_secret,
            **extra,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(BOLT / script), env=env, stdout=subprocess.DEVNULL
        )
        found = BoltProcess(process)
        running.append(found)
        return found

    yield start
    for found in running:
        await found.stop()
