"""When the edge writes events (docs/realtime.md, Delivery): after the writer is answered,
and the events of one turn together, each socket still getting each event once, in order."""

from __future__ import annotations

import asyncio

from backchannel.app import Backchannel
from backchannel.edge import Edge
from backchannel.metrics.reading import parse_page, total
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.people import users
from tests.conftest import Acme
from tests.edge.conftest import Connect, info
from tests.edge.test_fanout import say
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import RtmSocket, open_rtm, serving_edge
from tests.webapp.conftest import alice, bob, server  # noqa: F401  (the Web API's fixtures)


def delivered(edge: Edge) -> float:
    """The edge's count of frames written, as its /metrics page shows it."""
    page = parse_page(edge.metrics.exposition().decode())
    return total(page, "backchannel_events_delivered_total")


def in_order(stamps: list[str]) -> list[str]:
    return sorted(stamps, key=lambda ts: tuple(int(part) for part in ts.split(".")))


async def hears_each_once(rtm: RtmSocket, posted: list[str], last: str) -> None:
    """The socket gets these messages, in this order, and no other before `last`, a message
    posted after them."""
    heard = await rtm.before(type="message", ts=last)
    assert [event["ts"] for event in heard if event.get("type") == "message"] == posted


async def post_last(client: ValidatingAsyncWebClient, dev: str) -> str:
    """A message posted after the others: the sentinel that hears_each_once waits for."""
    return str((await client.chat_postMessage(channel=dev, text="last"))["ts"])


async def test_a_post_returns_before_its_event_is_written_to_any_socket(
    ctx: ServiceContext, deployment: Backchannel, acme: Acme, dev: str
) -> None:
    """One process, one bus in it: what a post's answer waits for ends at the commit."""
    async with serving_edge(deployment) as (edge, url):
        sockets = [await open_rtm(ctx, url, info(acme, name)) for name in ("alice", "bob")]
        before = delivered(edge)
        ts = await say(ctx, acme, dev, "answered first")
        assert delivered(edge) == before
        for rtm in sockets:
            assert (await rtm.next("message"))["ts"] == ts
        assert delivered(edge) == before + len(sockets)
        for rtm in sockets:
            await rtm.close()


async def test_posts_made_at_once_reach_each_socket_once_and_in_order(
    connect: Connect,
    acme: Acme,
    dev: str,
    alice: ValidatingAsyncWebClient,  # noqa: F811
    bob: ValidatingAsyncWebClient,  # noqa: F811
) -> None:
    phone, laptop = await connect(info(acme, "alice")), await connect(info(acme, "bob"))
    await laptop.ask("client.boot")  # lean: objects come before what names them
    calls = [c.chat_postMessage(channel=dev, text=f"n{n}") for n in range(10) for c in (alice, bob)]
    posted = in_order([reply["ts"] for reply in await asyncio.gather(*calls)])
    last = await post_last(alice, dev)
    for rtm in (phone, laptop):
        await hears_each_once(rtm, posted, last)


async def test_one_who_joins_amid_posts_gets_what_follows_the_join(
    ctx: ServiceContext,
    connect: Connect,
    acme: Acme,
    dev: str,
    alice: ValidatingAsyncWebClient,  # noqa: F811
) -> None:
    carol = await users.create_user(ctx, workspace="acme", email="carol@acme.test", name="Carol")
    rtm = await connect(TokenInfo(carol.user.id, acme.workspace.id, "user"))
    other = await connect(info(acme, "bob"))
    posts = [alice.chat_postMessage(channel=dev, text=f"n{n}") for n in range(12)]
    join = channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=carol.user.id, channel_id=dev
    )
    done = await asyncio.gather(*posts[:6], join, *posts[6:])
    posted = in_order([reply["ts"] for reply in done[:6] + done[7:]])
    last = await post_last(alice, dev)
    await hears_each_once(other, posted, last)
    await rtm.next("member_joined_channel")
    after_join = await rtm.before(type="message", ts=last)
    heard = [event["ts"] for event in after_join if event.get("type") == "message"]
    assert heard == posted[len(posted) - len(heard) :]  # the ones after the join, each once


async def test_a_socket_resuming_amid_posts_misses_nothing_and_repeats_nothing(
    connect: Connect,
    acme: Acme,
    dev: str,
    alice: ValidatingAsyncWebClient,  # noqa: F811
) -> None:
    first = await connect(info(acme, "bob"))
    token = first.received[0]["resume"]
    await first.close()
    posts = [alice.chat_postMessage(channel=dev, text=f"n{n}") for n in range(16)]
    resumed, *replies = await asyncio.gather(connect(info(acme, "bob"), resume=token), *posts)
    last = await post_last(alice, dev)
    await hears_each_once(resumed, in_order([reply["ts"] for reply in replies]), last)
