"""Slack's Node SDK (@slack/web-api, installed in tests/node/ by scripts/test) against a live
server. The SDK retries any HTTP status but 200 and 429 for about 30 minutes, so a Slack
error answered with another status would hang a Node app instead of failing its call."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest

from tests.conftest import Acme
from tests.support.node import NODE_PROJECT, require_node

pytestmark = pytest.mark.slow  # Node.js processes

# Generous: a settled call takes milliseconds, a retrying SDK about 30 minutes.
SETTLES_WITHIN = 120.0


async def node_calls(server: str, token: str) -> dict[str, Any]:
    """How each call of tests/node/calls.mjs settled, as it prints them."""
    require_node("@slack/web-api")
    node = await asyncio.create_subprocess_exec(
        "node",
        "calls.mjs",
        f"{server}/api/",
        cwd=NODE_PROJECT,
        env={**os.environ, "BACKCHANNEL_TOKEN": token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(node.communicate(), SETTLES_WITHIN)
    except TimeoutError:
        node.kill()
        await node.wait()
        pytest.fail(f"a call through the Node SDK did not settle in {SETTLES_WITHIN:.0f} s")
    assert node.returncode == 0, err.decode()
    settled: dict[str, Any] = json.loads(out)
    return settled


def refused(error: str) -> dict[str, Any]:
    return {"ok": False, "code": "slack_webapi_platform_error", "error": error}


async def test_a_method_backchannel_lacks_fails_at_once(server: str, acme: Acme) -> None:
    settled = await node_calls(server, acme.alice.token)
    assert settled["known"]["ok"] is True
    assert settled["known"]["reply"]["user_id"] == acme.alice.user.id
    # channels.history: one of Slack's retired methods, which old Node apps still call.
    assert settled["unknown"] == refused("unknown_method")
    # As Slack: the method is looked up before the token.
    assert settled["unknownWithoutToken"] == refused("unknown_method")
    assert settled["knownWithoutToken"] == refused("not_authed")
