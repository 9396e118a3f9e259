"""Bolt for Python's getting-started app on Bolt's own HTTP server: the Events API, signed
POSTs to its Request URL after Slack's url_verification challenge, from the app's durable
position in the log (docs/apps.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from tests.apps.conftest import HttpApp, StartBolt, received, replies_by, with_bot
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient


async def test_the_app_answers_hello_over_http(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    start_bolt: StartBolt,
    edge_url: str,
) -> None:
    app = http_app.installed
    channel_id = await with_bot(ctx, acme, app)
    await start_bolt("hello.py", app, port=http_app.port)
    posted = await alice.chat_postMessage(channel=channel_id, text="hello over http")
    (reply,) = await replies_by(alice, channel_id, posted["ts"], app.app.bot_user_id)
    assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    verified = await installs.get_app(ctx, app.app.id)
    assert verified.url_verified is not None  # it answered the challenge first


async def test_an_app_that_was_down_gets_every_event_once_when_it_is_back(
    ctx: ServiceContext,
    acme: Acme,
    alice: ValidatingAsyncWebClient,
    http_app: HttpApp,
    start_bolt: StartBolt,
    edge_url: str,
    tmp_path: Path,
) -> None:
    app, record = http_app.installed, tmp_path / "received.jsonl"
    channel_id = await with_bot(ctx, acme, app)
    bolt = await start_bolt("hello.py", app, port=http_app.port, record=record)
    first = await alice.chat_postMessage(channel=channel_id, text="hello 0")
    await replies_by(alice, channel_id, first["ts"], app.app.bot_user_id)
    await bolt.stop()  # killed
    missed = [
        (await alice.chat_postMessage(channel=channel_id, text=f"hello {n}"))["ts"]
        for n in range(1, 6)
    ]
    await asyncio.sleep(0.5)  # deliveries meet a closed port meanwhile
    await start_bolt("hello.py", app, port=http_app.port, record=record)
    for ts in missed:
        (reply,) = await replies_by(alice, channel_id, ts, app.app.bot_user_id)
        assert reply["text"] == f"Hey there <@{acme.alice.user.id}>!"
    hellos = [
        r for r in received(record) if r["type"] == "message" and r["ts"] in {first["ts"], *missed}
    ]
    assert {r["ts"] for r in hellos} == {first["ts"], *missed}  # each arrived
    unmarked = [r["ts"] for r in hellos if r["retry"] in (None, "0")]
    assert sorted(unmarked) == sorted(set(unmarked)), "one came twice without a retry mark"
