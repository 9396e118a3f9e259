"""The SQL statements of the hot paths, pinned: a change that adds one to chat.postMessage,
conversations.history or rtm.start fails here, on the backend where it shows.

Each call is made once first, so that what this process caches (the caller's token, the live
edges) is warm, as it is for a client that keeps calling; the clock stands still, so it
stays warm however slow the machine. Counted: every statement the call's request sends, to
any database, transaction control aside (tests/support/statements.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from backchannel.app import Backchannel
from backchannel.config import ServerSettings
from backchannel.services import ServiceContext
from tests.conftest import Acme, dev_channel
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.clock import FakeClock
from tests.support.statements import Statements, counting_server
from tests.webapp.conftest import client_for
from tests.webapp.test_rtm_methods import register_edges


@dataclass
class Counted:
    ctx: ServiceContext
    alice: ValidatingAsyncWebClient
    statements: Statements
    dev: str


@pytest.fixture
async def counted(deployment: Backchannel, acme: Acme) -> AsyncIterator[Counted]:
    """The deployment served on a clock that stands still, its statements counted."""
    still = ServiceContext(deployment.ctx.router, FakeClock())
    settings = replace(deployment.settings, server=ServerSettings(rate_limits=False))
    dev = await dev_channel(still, acme)
    async with counting_server(Backchannel(settings, still)) as (url, statements):
        yield Counted(still, client_for(url, acme.alice.token), statements, dev)


async def sent_by(
    counted: Counted, call: Callable[[], Awaitable[Any]], *, warm: bool = True
) -> list[str]:
    """The statements of `call`, made once before unless not `warm`."""
    if warm:
        await call()
    with counted.statements.counted() as sent:
        await call()
    return list(sent)


def listing(sent: list[str]) -> str:
    return "\n".join(sent)


async def test_a_post_s_statements(counted: Counted, backend: str) -> None:
    alice, dev = counted.alice, counted.dev
    sent = await sent_by(counted, lambda: alice.chat_postMessage(channel=dev, text="hi"))
    # The channel, the author's membership, the channel's lock (with its other workspaces),
    # the message, the channel's last ts, the log's head, the event.
    assert len(sent) == {"sqlite": 7, "postgresql": 7}[backend], listing(sent)


async def test_a_post_with_a_client_msg_id_s_statements(counted: Counted, backend: str) -> None:
    alice, dev = counted.alice, counted.dev
    ids = iter(["5a1c0e0c-0001", "5a1c0e0c-0002"])

    async def post() -> Any:
        return await alice.chat_postMessage(channel=dev, text="hi", client_msg_id=next(ids))

    sent = await sent_by(counted, post)
    # As a post's, and the look for a retry of the same client_msg_id.
    assert len(sent) == {"sqlite": 8, "postgresql": 8}[backend], listing(sent)


async def test_a_history_page_s_statements(counted: Counted, backend: str) -> None:
    alice, dev = counted.alice, counted.dev
    await alice.chat_postMessage(channel=dev, text="hi")
    sent = await sent_by(counted, lambda: alice.conversations_history(channel=dev))
    # The channel, a page of messages, their reactions, the channel's pin count.
    assert len(sent) == {"sqlite": 4, "postgresql": 4}[backend], listing(sent)


async def test_an_rtm_start_s_statements(counted: Counted, backend: str) -> None:
    await register_edges(counted.ctx)  # heartbeats on the clock that stands still
    sent = await sent_by(counted, counted.alice.rtm_start)
    # The workspace (main DB), the caller, the ticket (expired ones go, the log's head, the
    # ticket), then the boot: users, bots, channels, their members, memberships with read
    # markers, the latest messages, the unread counts, the channels other workspaces share.
    assert len(sent) == {"sqlite": 13, "postgresql": 13}[backend], listing(sent)
