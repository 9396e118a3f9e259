"""An edge and a webapp on real ports over the parametrised storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from tests.conftest import Acme
from tests.support.rtm import RtmSocket, open_rtm
from tests.webapp.conftest import dev, globex, initech  # noqa: F401  (fixtures shared with webapp tests)

Connect = Callable[..., Awaitable[RtmSocket]]


@pytest.fixture
async def connect(ctx: ServiceContext, edge_url: str) -> AsyncIterator[Connect]:
    """connect(user_id_or_NewUser, resume=None): an open RTM socket, closed at the end."""
    opened: list[RtmSocket] = []

    async def open_for(who: TokenInfo, *, resume: str | None = None) -> RtmSocket:
        rtm = await open_rtm(ctx, edge_url, who, resume=resume)
        opened.append(rtm)
        return rtm

    yield open_for
    for rtm in opened:
        await rtm.close()


def info(acme: Acme, name: str) -> TokenInfo:
    person = getattr(acme, name)
    return TokenInfo(user_id=person.user.id, workspace_id=acme.workspace.id, kind="user")
