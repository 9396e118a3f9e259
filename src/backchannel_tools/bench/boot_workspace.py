"""Building a `backchannel bench boot` workspace in a fresh data dir, before the server starts.

The organisation, the workspace, the booting person (with a token), the bots and the newest
messages are made by the services, as any would be. The thousands of other people, the
channels, memberships and older messages (boot_data.py) go into the workspace's shard, and
the people's seats into the main DB, as a few large inserts through the router: made one by
one through the services, 32,000 people would take most of an hour. They get no
credentials and no events: nobody signs in as them, and the edge reads the rows, not the
log, when it fills its cache.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table, insert

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.router import Main, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.messaging import messages
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from backchannel.storage import schema
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as channel_store
from backchannel_tools.bench import boot_data

BOTS = ("Deploy Bot", "Standup Bot", "Alerts Bot")
GENERAL_POSTS = 5
ROWS_PER_TRANSACTION = 5000
# Parents before children: memberships and messages refer to channels.
TABLES: tuple[Table, ...] = (
    schema.seats,
    schema.users,
    schema.channels,
    schema.memberships,
    schema.messages,
    schema.read_markers,
)

Advance = Callable[[int], None]  # rows written since the last call


@dataclass(frozen=True)
class BenchWorkspace:
    """What the benchmark needs to know of the workspace it built."""

    people: int
    channels: int  # channels besides #general (not DMs)
    token: str  # the booting person's
    general: str
    plan: boot_data.Plan


async def build(data_dir: Path, people: int, started: Callable[[int], Advance]) -> BenchWorkspace:
    """A new deployment in `data_dir` with one workspace of `people` people.

    `started(total)` is called once the rows are planned; what it returns is told of the
    rows as they are written (a progress bar)."""
    backchannel = await open_backchannel(Settings(storage=StorageSettings(data_dir=data_dir)))
    try:
        ctx = backchannel.ctx
        founders, token = await _founders(ctx)
        plan = boot_data.plan(founders, people)
        advance = started(plan.total)
        for table in TABLES:
            rows = plan.rows.get(table.name, [])
            for first in range(0, len(rows), ROWS_PER_TRANSACTION):
                chunk = rows[first : first + ROWS_PER_TRANSACTION]
                destination = Main() if table is schema.seats else ShardFor(founders.workspace_id)
                async with ctx.router.write(destination) as conn:
                    await conn.execute(insert(table), chunk)
                advance(len(chunk))
        await _post_newest(ctx, founders, plan)
        channels = boot_data.channels_for(people)
        return BenchWorkspace(people, channels, token, founders.general, plan)
    finally:
        await backchannel.close()


async def _founders(ctx: ServiceContext) -> tuple[boot_data.Founders, str]:
    org = await workspaces.create_org(ctx, name="Bench Corporation")
    workspace = await workspaces.create_workspace(
        ctx, name="Boot Bench", domain="bootbench", org_id=org.id
    )
    booter = await users.create_user(
        ctx, workspace=workspace.id, email="booter@bench.test", name="Bench Booter"
    )
    bots = [await users.create_bot(ctx, workspace=workspace.id, name=name) for name in BOTS]
    async with ctx.router.read(ShardFor(workspace.id)) as conn:
        general = await _general_txn(conn, workspace.id)
    founders = boot_data.Founders(
        workspace_id=workspace.id,
        keyspace=workspace.keyspace,
        general=general,
        booter=booter.user.id,
        bot_users=[bot.user.id for bot in bots],
        now=ctx.clock(),
    )
    return founders, booter.token


async def _post_newest(
    ctx: ServiceContext, founders: boot_data.Founders, plan: boot_data.Plan
) -> None:
    """The newest messages, through the services: a few in #general, and one by each bot
    in its channel (the lean boot then names the bot)."""
    rng = random.Random(3)
    workspace_id = founders.workspace_id
    for author in rng.sample(plan.people, GENERAL_POSTS):
        text = rng.choice(boot_data.LINES)
        await messages.post_message(
            ctx, workspace_id=workspace_id, user_id=author, channel_id=founders.general, text=text
        )
    for bot_user, channel_id in plan.bot_channels:
        await messages.post_message(
            ctx,
            workspace_id=workspace_id,
            user_id=bot_user,
            channel_id=channel_id,
            text="Build 1234 passed :white_check_mark:",
            by_bot=True,
        )


async def _general_txn(conn: Conn, workspace_id: str) -> str:
    general = await channel_store.general_channel_txn(conn, workspace_id)
    assert general is not None, "every workspace is made with #general"
    return general.id
