"""`admin move-workspace` (ops/moves.py): a workspace moved to another DB shard while
people post and read, on SQLite and PostgreSQL. Nothing acknowledged is lost, reads never
fail, the old shard is emptied of it, and bad requests change nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import pytest
from sqlalchemy import func, select

from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.models import DbShard, TokenInfo
from backchannel.models.topology import FROZEN, PutAssignment, PutDbShard
from backchannel.ops import moves
from backchannel.router import Shard
from backchannel.services import ServiceContext
from backchannel.services.files import reading as file_reading
from backchannel.services.messaging import history, messages, pins, reactions
from backchannel.storage.schema import channels, events, users
from backchannel.storage.schema import messages as message_table
from tests.conftest import Acme, dev_channel
from tests.support.files import shared_file

pytestmark = pytest.mark.engine  # rows copied from one database to another


@dataclass
class Poster:
    """Posts until told to stop; keeps what the server acknowledged."""

    acknowledged: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def post_until_stopped(
    ctx: ServiceContext, acme: Acme, channel: str, poster: Poster, name: str
) -> None:
    n = 0
    while not poster.stop.is_set():
        n += 1
        text = f"{name} {n}"
        await messages.post_message(
            ctx,
            workspace_id=acme.workspace.id,
            user_id=acme.alice.user.id,
            channel_id=channel,
            text=text,
        )
        poster.acknowledged.append(text)
        await asyncio.sleep(0.005)


async def read_until_stopped(
    ctx: ServiceContext, acme: Acme, channel: str, stop: asyncio.Event
) -> int:
    reads = 0
    while not stop.is_set():
        await history.channel_history(
            ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=channel
        )
        reads += 1
        await asyncio.sleep(0.005)
    return reads


async def rows_of(ctx: ServiceContext, shard: str, workspace_id: str) -> dict[str, int]:
    counted = {}
    async with ctx.router.read(Shard(shard)) as conn:
        for table in (users, channels, events):
            query = select(func.count()).where(table.c.workspace_id == workspace_id)
            counted[table.name] = int(await conn.scalar(query.select_from(table)))
        query = select(func.count()).where(message_table.c.workspace_id == workspace_id)
        counted["messages"] = int(await conn.scalar(query.select_from(message_table)))
    return counted


async def test_a_workspace_moves_while_people_post_and_read(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    workspace, alice, bob = acme.workspace.id, acme.alice.user.id, acme.bob.user.id
    first = await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text="before the move"
    )
    await reactions.add_reaction(
        ctx, workspace_id=workspace, user_id=bob, channel_id=dev, ts=first.ts, name="tada"
    )
    await pins.pin_message(ctx, workspace_id=workspace, user_id=bob, channel_id=dev, ts=first.ts)
    await history.mark_read(ctx, workspace_id=workspace, user_id=bob, channel_id=dev, ts=first.ts)
    file_id = await shared_file(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, content=b"moved along"
    )
    source = acme.db_shard
    target = next(name for name in ctx.router.shard_map.current.db_shards if name != source)

    poster, stop_reading = Poster(), asyncio.Event()
    posting = [
        asyncio.create_task(post_until_stopped(ctx, acme, dev, poster, name))
        for name in ("one", "two")
    ]
    reading = asyncio.create_task(read_until_stopped(ctx, acme, dev, stop_reading))
    phases: list[str] = []
    report = await moves.move_workspace(
        ctx, "acme", target, grace=0.2, progress=lambda phase, *_: phases.append(phase)
    )
    poster.stop.set()
    stop_reading.set()
    await asyncio.gather(*posting)
    assert await reading > 0  # reads went on, and none failed

    assert (await ctx.router.assignment(workspace)).db_shard == target
    assert report.cleaned_up and not report.late_tables
    assert report.rows["messages"] >= 1 and report.rows["reactions"] == 1
    assert report.rows["files"] == 1
    file, blob = await file_reading.open_file(ctx, TokenInfo(bob, workspace, "user"), file_id)
    assert (file.name, await blob.read_all()) == ("notes.txt", b"moved along")
    assert {"copy", "catch up"} <= set(phases)
    page = await history.channel_history(
        ctx, workspace_id=workspace, user_id=bob, channel_id=dev, limit=1000
    )
    texts = {message.text for message in page.messages}
    assert {"before the move", *poster.acknowledged} <= texts  # nothing acknowledged is lost
    assert len(poster.acknowledged) > 0
    assert page.pin_count == 1
    assert list(next(m for m in page.messages if m.ts == first.ts).reactions) == ["tada"]
    after = await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice, channel_id=dev, text="after the move"
    )
    assert after.ts > first.ts
    gone = await rows_of(ctx, source, workspace)
    assert gone == {"users": 0, "channels": 0, "events": 0, "messages": 0}
    here = await rows_of(ctx, target, workspace)
    assert here["users"] == 2 and here["messages"] == len(texts) + 1


async def test_bad_moves_change_nothing(ctx: ServiceContext, acme: Acme) -> None:
    version = await ctx.router.topology.version()
    with pytest.raises(NotFound, match="no DB shard named 'shard-9'"):
        await moves.move_workspace(ctx, "acme", "shard-9")
    with pytest.raises(InvalidArgument, match=f"already on {acme.db_shard}"):
        await moves.move_workspace(ctx, "acme", acme.db_shard)
    with pytest.raises(NotFound):
        await moves.move_workspace(ctx, "nowhere", "shard-1")
    assert await ctx.router.topology.version() == version
    assert (
        await ctx.router.assignment(acme.workspace.id)
        == (await ctx.router.shard_map.refresh()).by_keyspace[acme.workspace.keyspace]
    )


async def test_a_move_to_a_shard_that_cannot_be_reached_changes_nothing(
    ctx: ServiceContext, acme: Acme
) -> None:
    down = DbShard("shard-9", "postgresql://postgres@127.0.0.1:1/nowhere")
    await ctx.router.change_topology(lambda _: [PutDbShard(down)])
    version = await ctx.router.topology.version()
    with pytest.raises(BackchannelError, match="shard shard-9 cannot be reached"):
        await moves.move_workspace(ctx, "acme", "shard-9")
    assert await ctx.router.topology.version() == version
    assert (await ctx.router.assignment(acme.workspace.id)).state == "serving"


async def damage_alice_on(ctx: ServiceContext, shard: str, alice: str, backend: str) -> None:
    """A shard that garbles one person's row whenever it is written (a real fault: a trigger
    in the database itself)."""
    if backend == "sqlite":
        statements = [
            f"""CREATE TRIGGER damage_{event} AFTER {event} ON users
                WHEN NEW.id = '{alice}' AND NEW.real_name != 'Mallory'
                BEGIN UPDATE users SET real_name = 'Mallory' WHERE id = NEW.id; END"""
            for event in ("INSERT", "UPDATE")
        ]
    else:
        statements = [
            f"""CREATE FUNCTION damage() RETURNS trigger AS $$ BEGIN
                IF NEW.id = '{alice}' THEN NEW.real_name := 'Mallory'; END IF;
                RETURN NEW; END $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER damage BEFORE INSERT OR UPDATE ON users
                FOR EACH ROW EXECUTE FUNCTION damage()""",
        ]
    async with ctx.router.write(Shard(shard)) as conn:
        for statement in statements:
            await conn.exec_driver_sql(statement)


async def test_a_move_whose_copy_does_not_match_leaves_the_workspace_where_it_was(
    ctx: ServiceContext, acme: Acme, backend: str
) -> None:
    """The target garbles alice's row: the fingerprints disagree, the move stops, the
    workspace serves from its shard as before, and the partial copy is gone."""
    source = acme.db_shard
    target = next(name for name in ctx.router.shard_map.current.db_shards if name != source)
    await damage_alice_on(ctx, target, acme.alice.user.id, backend)
    version = await ctx.router.topology.version()
    with pytest.raises(BackchannelError, match=r"does not match the original \(users\)"):
        await moves.move_workspace(ctx, "acme", target, grace=0.0)
    placed = await ctx.router.assignment(acme.workspace.id)
    assert (placed.db_shard, placed.state) == (source, "serving")
    assert await ctx.router.topology.version() == version + 3  # copying, frozen, serving
    assert (await rows_of(ctx, target, acme.workspace.id))["users"] == 0
    await messages.post_message(
        ctx, workspace_id=acme.workspace.id, user_id=acme.alice.user.id,
        channel_id=await dev_channel(ctx, acme), text="still here",
    )  # fmt: skip


async def test_an_interrupted_move_is_started_again_only_when_asked(
    ctx: ServiceContext, acme: Acme
) -> None:
    """A mover that died left acme frozen: a post waits; a second move refuses, then with
    restart moves acme, and the waiting post lands on the new shard."""
    target = next(n for n in ctx.router.shard_map.current.db_shards if n != acme.db_shard)
    dev = await dev_channel(ctx, acme)
    keyspace = acme.workspace.keyspace
    await ctx.router.change_topology(
        lambda current: [PutAssignment(replace(current.by_keyspace[keyspace], state=FROZEN))]
    )
    waiting = asyncio.create_task(
        messages.post_message(
            ctx,
            workspace_id=acme.workspace.id,
            user_id=acme.alice.user.id,
            channel_id=dev,
            text="waited",
        )
    )
    with pytest.raises(InvalidArgument, match="--restart"):
        await moves.move_workspace(ctx, "acme", target)
    assert not waiting.done()
    report = await moves.move_workspace(ctx, "acme", target, grace=0.1, restart=True)
    posted = await waiting
    assert report.cleaned_up
    async with ctx.router.read(Shard(target)) as conn:
        query = select(message_table.c.text).where(message_table.c.ts == posted.ts)
        assert await conn.scalar(query) == "waited"
