"""A revoked token keeps nothing: the sockets opened with it close, its unused tickets open
nothing, and the same person's sockets of other tokens stay (docs/realtime.md,
Revocation). Through a live webapp and a live edge, as a client sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from backchannel.app import Backchannel
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.tenancy import organisations
from tests.conftest import Acme
from tests.edge.conftest import info
from tests.edge.test_fanout import say
from tests.support.rtm import RtmSocket
from tests.support.server import live_server
from tests.webapp.conftest import INITECH_PASSWORD, Initech, client_for

CLOSED_FOR_IT = (1008, "token_revoked")


@pytest.fixture
async def api(deployment: Backchannel, acme: Acme, edge_url: str) -> AsyncIterator[str]:
    """A webapp in front of the edge."""
    async with live_server(deployment) as url:
        yield url


async def _socket(url: str) -> RtmSocket:
    rtm = RtmSocket(await ws_connect(url, max_size=None))
    assert (await rtm.next())["type"] == "hello"
    return rtm


async def _rtm_url(api: str, token: str, **http: object) -> str:
    reply = await client_for(api, token).rtm_connect(**http)
    return str(reply["url"])


async def test_auth_revoke_closes_the_tokens_sockets_and_voids_its_tickets(
    ctx: ServiceContext, api: str, acme: Acme, dev: str
) -> None:
    other_token = await auth.issue_token(ctx, info(acme, "alice"))
    revoked = await _socket(await _rtm_url(api, acme.alice.token))
    unused = await _rtm_url(api, acme.alice.token)
    kept = await _socket(await _rtm_url(api, other_token))

    assert (await client_for(api, acme.alice.token).auth_revoke())["revoked"] is True

    assert await revoked.wait_closed() == CLOSED_FOR_IT
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(unused)
    assert refused.value.response.status_code == 401
    ts = await say(ctx, acme, dev, "still here", who="bob")
    assert (await kept.next("message"))["ts"] == ts  # her other token's socket stays
    assert not kept.closed
    await kept.close()


async def test_signing_out_closes_the_sessions_sockets(
    ctx: ServiceContext, api: str, acme: Acme, dev: str, alice_password: str
) -> None:
    async with httpx.AsyncClient(base_url=api) as browser:
        signed = await browser.post(
            "/auth/signin", json={"email": "alice@acme.test", "password": alice_password}
        )
        token = signed.json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        url = (await browser.post("/api/rtm.connect", headers=bearer)).json()["url"]
        unused = (await browser.post("/api/rtm.connect", headers=bearer)).json()["url"]
        page = await _socket(url)
        api_socket = await _socket(await _rtm_url(api, acme.alice.token))
        assert (await browser.post("/auth/signout", headers=bearer)).json()["ok"] is True

    assert await page.wait_closed() == CLOSED_FOR_IT
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(unused)
    assert refused.value.response.status_code == 401
    ts = await say(ctx, acme, dev, "her script still hears this", who="bob")
    assert (await api_socket.next("message"))["ts"] == ts
    await api_socket.close()


async def test_a_removed_seat_closes_its_sockets_and_voids_its_tickets(
    ctx: ServiceContext, api: str, initech: Initech
) -> None:
    """admin.users.remove revokes the seat's tokens the same way (services/identity/revocation.py);
    the person's seat elsewhere keeps its socket."""
    peter = initech.peter.user.id
    olivia = await auth.authenticate(ctx, initech.olivia.token)
    await organisations.assign_user(ctx, olivia, team_id=initech.labs.id, user_id=peter)
    in_labs = await auth.sign_in(
        ctx, workspace="initech-labs", email="peter@initech.test", password=INITECH_PASSWORD
    )
    labs = await _socket(await _rtm_url(api, in_labs))
    unused = await _rtm_url(api, in_labs)
    hq = await _socket(await _rtm_url(api, initech.peter.token))

    await organisations.remove_user(ctx, olivia, team_id=initech.labs.id, user_id=peter)

    code, _ = await labs.wait_closed()
    assert code == 1008  # account_inactive: the seat's user_change says so first
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(unused)
    assert refused.value.response.status_code == 401
    assert not hq.closed
    await hq.close()
