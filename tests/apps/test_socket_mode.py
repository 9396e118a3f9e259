"""Bolt's getting-started app over Socket Mode, Python's and JS's (`hello_bolt`), unchanged
but for its base URL, against a live webapp and edge (docs/apps.md): it hears what happens
where its bot is, and answers through the Web API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

import orjson
from websockets.asyncio.client import connect as ws_connect

from backchannel.app import Backchannel
from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.conversations import channels
from backchannel.services.realtime import edges
from tests.apps.conftest import HELLO_MANIFEST, WAIT, StartBolt, received, replies_by, with_bot
from tests.conftest import SQLITE, Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import serving_edge
from tests.webapp.conftest import Globex, client_for


async def test_the_getting_started_app_answers_hello_in_the_thread(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    hello_bolt: str,
    start_bolt: StartBolt,
    edge_url: str,
) -> None:
    channel_id = await with_bot(ctx, acme, hello_app)
    await start_bolt(hello_bolt, hello_app)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello there")
    (reply,) = await replies_by(alice, channel_id, posted["ts"], hello_app.app.bot_user_id)
    assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    assert reply["bot_id"] == hello_app.app.bot_id


async def test_a_mention_and_a_reaction_reach_their_listeners(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    hello_bolt: str,
    start_bolt: StartBolt,
    edge_url: str,
) -> None:
    channel_id = await with_bot(ctx, acme, hello_app)
    await start_bolt(hello_bolt, hello_app)
    bot = hello_app.app.bot_user_id
    mention = await alice.chat_postMessage(channel=channel_id, text=f"<@{bot}> are you there?")
    (answer,) = await replies_by(alice, channel_id, mention["ts"], bot)
    assert answer["text"] == f"You mentioned me, <@{acme.alice.user.id}>"
    plain = await alice.chat_postMessage(channel=channel_id, text="nice work")
    await alice.reactions_add(channel=channel_id, timestamp=plain["ts"], name="tada")
    (thanks,) = await replies_by(alice, channel_id, plain["ts"], bot)
    assert thanks["text"] == "Thanks for the :tada:"


async def test_an_app_hears_nothing_of_another_workspace(
    ctx: ServiceContext,
    acme: Acme,
    globex: Globex,
    server: str,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    start_bolt: StartBolt,
    edge_url: str,
    tmp_path: Path,
) -> None:
    theirs = await installs.create_app(ctx, workspace="globex", manifest=HELLO_MANIFEST)
    ops = await channels.create_channel(
        ctx, workspace_id=globex.workspace.id, creator=globex.eve.user.id, name="ops"
    )
    await channels.invite_to_channel(
        ctx,
        workspace_id=globex.workspace.id,
        inviter=globex.eve.user.id,
        channel_id=ops.id,
        user_ids=[theirs.app.bot_user_id],
    )
    channel_id = await with_bot(ctx, acme, hello_app)
    mine_seen, theirs_seen = tmp_path / "acme.jsonl", tmp_path / "globex.jsonl"
    await start_bolt("hello.py", hello_app, record=mine_seen)
    await start_bolt("hello.py", theirs, record=theirs_seen)
    eve = client_for(server, globex.eve.token)
    in_globex = await eve.chat_postMessage(channel=ops.id, text="hello from globex")
    await replies_by(eve, ops.id, in_globex["ts"], theirs.app.bot_user_id)
    in_acme = await alice.chat_postMessage(channel=channel_id, text="hello from acme")
    await replies_by(alice, channel_id, in_acme["ts"], hello_app.app.bot_user_id)
    assert {r["team"] for r in received(mine_seen)} == {acme.workspace.id}
    assert {r["team"] for r in received(theirs_seen)} == {globex.workspace.id}
    assert in_acme["ts"] not in {r["ts"] for r in received(theirs_seen)}


async def test_when_its_edge_goes_the_app_reconnects_to_another_and_misses_nothing(
    deployment: Backchannel,
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    start_bolt: StartBolt,
    tmp_path: Path,
) -> None:
    app, record = hello_app, tmp_path / "received.jsonl"
    channel_id = await with_bot(ctx, acme, app)
    first, second = contextlib.AsyncExitStack(), contextlib.AsyncExitStack()
    async with first, second:
        _, one = await first.enter_async_context(serving_edge(deployment))
        await second.enter_async_context(serving_edge(deployment))
        owner = first if await edges.edge_url(ctx, acme.workspace.id) == one else second
        await start_bolt("hello.py", app, record=record)
        before = await alice.chat_postMessage(channel=channel_id, text="hello before")
        await replies_by(alice, channel_id, before["ts"], app.app.bot_user_id)
        await owner.aclose()  # it unregisters, tells the app to reconnect, and stops
        during = [
            (await alice.chat_postMessage(channel=channel_id, text=f"hello {n}"))["ts"]
            for n in range(3)
        ]
        for ts in during:
            (reply,) = await replies_by(alice, channel_id, ts, app.app.bot_user_id)
            assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    hellos = [r for r in received(record) if r["ts"] in {before["ts"], *during}]
    unmarked = [r["ts"] for r in hellos if r["retry"] in (None, 0, "0")]
    assert sorted(unmarked) == sorted(set(unmarked)), "one came twice without a retry mark"


@SQLITE  # the engine is not the subject: the edge's resends are
async def test_an_envelope_never_acknowledged_is_sent_again_elsewhere_then_given_up(
    ctx: ServiceContext,
    acme: Acme,
    server: str,
    alice: ValidatingAsyncWebClient,
    hello_app: installs.Installed,
    edge_url: str,
) -> None:
    """An app that takes envelopes and never acknowledges them: each is sent again, marked,
    to its other connection, 3 times, then given up as Slack gives up; the next one still
    comes."""
    channel_id = await with_bot(ctx, acme, hello_app)
    app_client = client_for(server, hello_app.app_token)
    sockets = [
        await ws_connect(
            (await app_client.apps_connections_open(app_token=hello_app.app_token))["url"]
        )
        for _ in range(2)
    ]
    try:
        for socket in sockets:
            assert orjson.loads(await socket.recv())["type"] == "hello"
        await alice.chat_postMessage(channel=channel_id, text="never acknowledged")
        seen: list[tuple[int, int, str]] = []  # (connection, retry_attempt, text)
        changed = asyncio.Event()

        async def listen(n: int) -> None:
            async for raw in sockets[n]:
                envelope = orjson.loads(raw)
                if envelope.get("type") == "events_api":
                    text = envelope["payload"]["event"].get("text", "")
                    seen.append((n, envelope["retry_attempt"], text))
                    changed.set()

        async def until(count: int, text: str) -> None:
            async with asyncio.timeout(WAIT):
                while len([s for s in seen if s[2] == text]) < count:
                    changed.clear()
                    await changed.wait()

        listeners = [asyncio.create_task(listen(n)) for n in range(2)]
        await until(4, "never acknowledged")
        await alice.chat_postMessage(channel=channel_id, text="the next one")
        await until(1, "the next one")
        for listener in listeners:
            listener.cancel()
    finally:
        for socket in sockets:
            await socket.close()
    attempts = [(n, retry) for n, retry, text in seen if text == "never acknowledged"]
    assert [retry for _, retry in attempts] == [0, 1, 2, 3]
    # Each retry went to the other connection than the attempt before it.
    assert all(a[0] != b[0] for a, b in itertools.pairwise(attempts))
