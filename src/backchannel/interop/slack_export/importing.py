"""`backchannel import slack-export`: a Slack workspace export into an existing workspace,
idempotently (docs/slack-export.md).

1. The export is read and checked (interop/slack_export/reading.py): what cannot be used is
   skipped, with its reason, never an error.
2. Its people and bots (slack_import_users.py), then its conversations
   (slack_import_channels.py), then its messages a day file at a time
   (slack_import_messages.py).
3. What each Slack id became is recorded with it (the shard's `import_ids`), and messages
   keep their ts: a second run finds everything and imports nothing twice; an interrupted
   run picks up where it stopped.

Every write goes to the named workspace's shard (and the main DB for seats).
"""

from __future__ import annotations

from pathlib import Path

from backchannel.errors import NotFound
from backchannel.interop.slack_export.import_channels import import_channels
from backchannel.interop.slack_export.import_messages import import_messages
from backchannel.interop.slack_export.import_users import import_users
from backchannel.interop.slack_export.reading import Limits, open_export
from backchannel.interop.slack_export.state import ImportSummary, Maps, Progress
from backchannel.models import Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.storage.shard import imports

MAP_PAGE = 1000


async def import_slack_export(
    ctx: ServiceContext,
    path: Path,
    *,
    workspace: str,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> ImportSummary:
    """Import the export at `path` into `workspace` (id or domain), which must exist."""
    export = open_export(path, limits)
    try:
        target = await _existing_workspace(ctx, workspace)
        summary = ImportSummary(target.id, target.domain)
        for skip in export.skips:
            summary.skip(skip)
        tell = progress or (lambda *_: None)
        maps = await load_maps(ctx, target)
        maps.listed = {person.id for person in export.users}
        await import_users(ctx, target, export.users, maps, summary, tell)
        await import_channels(ctx, target, export.channels, maps, summary, tell)
        await import_messages(ctx, target, export, maps, summary, tell)
    finally:
        export.close()
    return summary


async def _existing_workspace(ctx: ServiceContext, workspace: str) -> Workspace:
    try:
        return await find_workspace(ctx, workspace)
    except NotFound as exc:
        raise NotFound(
            f"{exc.message}: create it first (backchannel admin create-workspace)",
            slack_error=exc.slack_error,
        ) from None


async def load_maps(ctx: ServiceContext, target: Workspace) -> Maps:
    """What earlier runs into this workspace made of Slack's ids."""
    maps = Maps()
    found = {
        imports.USER: maps.users,
        imports.BOT: maps.bots,
        imports.CHANNEL: maps.channels,
    }
    for kind, into in found.items():
        after = ""
        while True:
            async with ctx.router.read(ShardFor(target.id)) as conn:
                page = await imports.mapped_ids_txn(
                    conn, target.id, kind, after=after, limit=MAP_PAGE
                )
            into.update(page)
            if len(page) < MAP_PAGE:
                break
            after = page[-1][0]
    return maps
