"""A new workspace of an organisation, whole: its creator in it, and the organisation-wide
channels shared with it (admin.teams.create, and `backchannel admin create-workspace --org`)."""

from __future__ import annotations

from backchannel.models import TokenInfo, Workspace
from backchannel.services.context import ServiceContext
from backchannel.services.tenancy.organisations import add_seat, administered_org, person_of_org
from backchannel.services.tenancy.shared_channels import share_org_channels
from backchannel.services.tenancy.workspaces import create_workspace


async def create_team(
    ctx: ServiceContext, caller: TokenInfo, *, domain: str, name: str
) -> Workspace:
    """admin.teams.create: a new workspace of the caller's organisation, with the caller in it
    as its owner, and the organisation-wide channels in it."""
    org = await administered_org(ctx, caller)
    workspace = await create_workspace(ctx, name=name, domain=domain, org_id=org.id)
    person = await person_of_org(ctx, org, caller.user_id)
    await add_seat(ctx, person, workspace, admin=True, owner=True, channel_ids=())
    await share_org_channels(ctx, workspace)
    return workspace


async def create_org_workspace(
    ctx: ServiceContext, *, name: str, domain: str, org_id: str | None
) -> Workspace:
    """A workspace made by an operator (the CLI): in an organisation, it gets its
    organisation-wide channels."""
    workspace = await create_workspace(ctx, name=name, domain=domain, org_id=org_id)
    await share_org_channels(ctx, workspace)
    return workspace
