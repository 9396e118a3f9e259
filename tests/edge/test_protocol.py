"""The RTM protocol: ping, typing, client-sent messages, presence, bad input, tickets, goodbye."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from backchannel.app import Backchannel
from backchannel.services import ServiceContext
from backchannel.services.people import presence, users
from tests.conftest import Acme
from tests.edge.conftest import Connect, info
from tests.support.rtm import RtmSocket, live_edge, open_rtm, ticket_for


async def test_ping_gets_a_pong_echoing_its_fields(connect: Connect, acme: Acme) -> None:
    rtm = await connect(info(acme, "alice"))
    await rtm.send({"type": "ping", "id": 7, "time": 1234})
    assert await rtm.next("pong") == {"type": "pong", "reply_to": 7, "time": 1234}


async def test_websocket_ping_frames_are_answered(connect: Connect, acme: Acme) -> None:
    rtm = await connect(info(acme, "alice"))
    pong = await rtm.connection.ping()
    await pong  # raises if the connection closes instead


async def test_typing_reaches_the_other_members_not_the_typist(
    connect: Connect, acme: Acme, dev: str
) -> None:
    alice, bob = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    await alice.send({"type": "typing", "channel": dev, "id": 1})
    typing = await bob.next("user_typing")
    assert typing == {"type": "user_typing", "channel": dev, "user": acme.alice.user.id}
    assert [e for e in await alice.before_pong() if e.get("type") == "user_typing"] == []


async def test_typing_where_one_is_not_a_member_is_an_error(connect: Connect, acme: Acme) -> None:
    alice = await connect(info(acme, "alice"))
    await alice.send({"type": "typing", "channel": "C0000000000", "id": 3})
    reply = await alice.next()
    assert reply["ok"] is False and reply["reply_to"] == 3
    assert reply["error"]["msg"] == "channel_not_found"


async def test_a_message_sent_on_the_socket_is_posted_and_acknowledged(
    connect: Connect, acme: Acme, dev: str
) -> None:
    alice, bob = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    await alice.send({"type": "message", "id": 42, "channel": dev, "text": "over the socket"})
    reply = await alice.next()
    while "reply_to" not in reply:
        reply = await alice.next()
    assert reply["ok"] is True and reply["reply_to"] == 42 and reply["ts"]
    event = await bob.next("message")
    assert (event["text"], event["ts"]) == ("over the socket", reply["ts"])


async def test_a_refused_socket_message_says_why(connect: Connect, acme: Acme, dev: str) -> None:
    alice = await connect(info(acme, "alice"))
    await alice.send({"type": "message", "id": 5, "channel": dev, "text": " "})
    reply = await alice.next()
    assert reply == {"ok": False, "reply_to": 5, "error": {"code": 2, "msg": "no_text"}}


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("not json at all", "not JSON"),
        ("[1, 2]", '"type"'),
        ('{"type": "teleport", "id": 9}', "unsupported type 'teleport'"),
        ('{"type": "presence_sub", "ids": "everyone"}', "invalid_ids"),
    ],
)
async def test_bad_frames_get_an_error_event_and_the_socket_lives_on(
    connect: Connect, acme: Acme, frame: str, says: str
) -> None:
    rtm = await connect(info(acme, "alice"))
    await rtm.connection.send(frame)
    error = await rtm.next()
    assert "error" in error and says in error["error"]["msg"], error
    await rtm.send({"type": "ping", "id": 1})
    assert (await rtm.next("pong"))["reply_to"] == 1


async def test_binary_frames_are_refused_politely(connect: Connect, acme: Acme) -> None:
    rtm = await connect(info(acme, "alice"))
    await rtm.connection.send(b"\x00\x01")
    assert (await rtm.next("error"))["error"]["code"] == 1


async def test_a_frame_over_16_kb_closes_the_socket_and_no_other(
    connect: Connect, acme: Acme
) -> None:
    big, other = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    await big.send({"type": "ping", "id": 1, "pad": "x" * 17_000})
    code, reason = await big.wait_closed()
    assert code == 1009, (code, reason)
    await other.send({"type": "ping", "id": 2})
    assert (await other.next("pong"))["reply_to"] == 2


async def test_a_flood_is_warned_then_closed(connect: Connect, acme: Acme) -> None:
    flooder, other = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    for n in range(400):
        if flooder.closed:
            break
        try:
            await flooder.send({"type": "ping", "id": n})
        except Exception:
            break
    code, reason = await flooder.wait_closed()
    assert (code, reason) == (1008, "flood: too many frames")
    # Each ping over the allowance is answered, as the request it was, with code 4.
    refused = [e for e in flooder.received if e.get("ok") is False]
    assert refused and all(e["error"]["code"] == 4 and "reply_to" in e for e in refused)
    await other.send({"type": "ping", "id": 1})
    assert (await other.next("pong"))["reply_to"] == 1


async def test_presence_sub_reports_connects_and_disconnects(connect: Connect, acme: Acme) -> None:
    alice = await connect(info(acme, "alice"))
    await alice.send({"type": "presence_sub", "ids": [acme.bob.user.id]})
    first = await alice.next("presence_change")
    assert first == {"type": "presence_change", "user": acme.bob.user.id, "presence": "away"}
    bob = await connect(info(acme, "bob"))
    assert (await alice.next("presence_change"))["presence"] == "active"
    await bob.close()
    assert (await alice.next("presence_change"))["presence"] == "away"


async def test_presence_is_only_sent_to_subscribers(connect: Connect, acme: Acme) -> None:
    alice, watching = await connect(info(acme, "alice")), await connect(info(acme, "alice"))
    await watching.send({"type": "presence_sub", "ids": [acme.bob.user.id]})
    assert (await watching.next("presence_change"))["presence"] == "away"
    await connect(info(acme, "bob"))
    assert (await watching.next("presence_change"))["presence"] == "active"
    assert [e for e in await alice.before_pong() if e.get("type") == "presence_change"] == []


async def test_a_socket_needs_a_valid_ticket(
    ctx: ServiceContext, edge_url: str, acme: Acme
) -> None:
    for url in (f"{edge_url}/", f"{edge_url}/?ticket=nonsense", f"{edge_url}/?ticket=T0-abc"):
        with pytest.raises(InvalidStatus) as refused:
            await ws_connect(url)
        assert refused.value.response.status_code == 401


async def test_a_ticket_is_single_use(ctx: ServiceContext, edge_url: str, acme: Acme) -> None:
    ticket = await ticket_for(ctx, info(acme, "alice"))
    first = await ws_connect(f"{edge_url}/?ticket={ticket}")
    await first.close()
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(f"{edge_url}/?ticket={ticket}")
    assert refused.value.response.status_code == 401


async def test_a_malformed_resume_token_is_a_400(
    ctx: ServiceContext, edge_url: str, acme: Acme
) -> None:
    ticket = await ticket_for(ctx, info(acme, "alice"))
    with pytest.raises(InvalidStatus) as refused:
        await ws_connect(f"{edge_url}/?ticket={ticket}&resume=yesterday")
    assert refused.value.response.status_code == 400


async def test_shutdown_says_goodbye(deployment: Backchannel, acme: Acme) -> None:
    async with live_edge(deployment) as url:
        rtm: RtmSocket = await open_rtm(deployment.ctx, url, info(acme, "alice"))
    assert (await rtm.next())["type"] == "goodbye"
    code, _ = await rtm.wait_closed()
    assert code == 1001


async def test_choosing_away_and_back_reaches_presence_subscribers(
    ctx: ServiceContext, connect: Connect, acme: Acme
) -> None:
    alice = await connect(info(acme, "alice"))
    await connect(info(acme, "bob"))
    await alice.send({"type": "presence_sub", "ids": [acme.bob.user.id]})
    assert (await alice.next("presence_change"))["presence"] == "active"
    await presence.set_presence(ctx, info(acme, "bob"), "away")
    assert (await alice.next("presence_change"))["presence"] == "away"
    await presence.set_presence(ctx, info(acme, "bob"), "auto")
    assert (await alice.next("presence_change"))["presence"] == "active"


async def test_a_deactivated_person_is_turned_away(
    ctx: ServiceContext, edge_url: str, acme: Acme
) -> None:
    ticket = await ticket_for(ctx, info(acme, "bob"))
    await users.deactivate_user(ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id)
    rtm = RtmSocket(await ws_connect(f"{edge_url}/?ticket={ticket}"))
    code, reason = await rtm.wait_closed()
    assert (code, reason) == (1008, "account_inactive")
    assert rtm.received == []


async def test_deactivating_someone_closes_their_sockets(
    ctx: ServiceContext, connect: Connect, acme: Acme
) -> None:
    bob, alice = await connect(info(acme, "bob")), await connect(info(acme, "alice"))
    await users.deactivate_user(ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id)
    assert (await bob.next("user_change"))["user"]["deleted"] is True
    assert await bob.wait_closed() == (1008, "account_inactive")
    assert (await alice.next("user_change"))["user"]["id"] == acme.bob.user.id
    assert not alice.closed
