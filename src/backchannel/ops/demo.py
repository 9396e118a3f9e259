"""`serve --demo`: an organisation with two workspaces, people, channels and history.

Created once (the "acme" domain marks it); later runs find it and only mint a fresh token.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from backchannel.errors import NotFound
from backchannel.models import TokenInfo, User, Workspace
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.identity import auth
from backchannel.services.messaging import messages, reactions
from backchannel.services.people import users
from backchannel.services.tenancy import organisations, shared_channels, workspaces
from backchannel.storage.shard import channels as channel_store

PASSWORD = "backchannel-demo"
SHARED_CHANNEL = "engineering"  # HQ's, shared with Acme Labs
ORG_NAME = "Acme Corporation"
SEED = 20181108

# (domain, name, people, public channels, private channels)
WORKSPACES = [
    (
        "acme",
        "Acme HQ",
        ["Alice Archer", "Bob Baker", "Carol Chen", "Dave Diaz", "Erin Evans"],
        ["random", "engineering", "design"],
        [("leadership", ["alice.archer", "bob.baker"])],
    ),
    (
        "acme-labs",
        "Acme Labs",
        ["Frank Fischer", "Grace Green", "Heidi Hughes"],
        ["research", "lab-notes"],
        [],
    ),
]

LINES = [
    "Morning all! Coffee is on in the kitchen.",
    "Has anyone looked at the release checklist yet?",
    "I pushed a fix for the flaky login test.",
    "Can we move the sync to 3pm?",
    "The new dashboard looks great :tada:",
    "Reminder: demo on Friday, please add your items to the doc.",
    "Does anyone know why the build is red?",
    "Deploy went out, watching the graphs now.",
    "Lunch order closes in ten minutes.",
    "I'll take the on-call handover today.",
    "Here are the notes from the planning meeting.",
    "Great work on the migration, zero downtime!",
    "Who owns the billing service these days?",
    "Please review my pull request when you have a moment.",
    "Latency is back to normal after the cache fix.",
    "Anyone up for a walk at 4?",
]
REPLIES = [
    "+1",
    "On it.",
    "Thanks!",
    "Good question, let me check.",
    "Agreed.",
    "Looks good to me.",
]
REACTIONS = ["thumbsup", "tada", "eyes", "heart", "rocket"]


@dataclass(frozen=True)
class DemoInfo:
    created: bool
    workspaces: list[Workspace]
    emails: list[str]
    password: str
    token: str  # a fresh user token for the first person, to try the API with
    messages: int


async def ensure_demo(ctx: ServiceContext) -> DemoInfo:
    try:
        first = await workspaces.find_workspace(ctx, WORKSPACES[0][0])
    except NotFound:
        return await _create_demo(ctx)
    found = [first, await workspaces.find_workspace(ctx, WORKSPACES[1][0])]
    token = await _token_for_first_person(ctx, first)
    return DemoInfo(False, found, _emails(), PASSWORD, token, 0)


async def _create_demo(ctx: ServiceContext) -> DemoInfo:
    rng = random.Random(SEED)
    # Backdate the history: messages start three days ago, a few minutes apart.
    start = ctx.clock() - 3 * 24 * 3600
    ticks = iter(range(10**9))
    demo_ctx = replace(ctx, clock=lambda: start + next(ticks) * 211.0)
    org = await workspaces.create_org(ctx, name=ORG_NAME)
    created: list[Workspace] = []
    first_token = ""
    total = 0
    people_by_workspace: list[list[User]] = []
    channels_by_name: dict[str, str] = {}
    for domain, name, people, public, private in WORKSPACES:
        workspace = await workspaces.create_workspace(ctx, name=name, domain=domain, org_id=org.id)
        created.append(workspace)
        members = []
        for index, person in enumerate(people):
            made = await users.create_user(
                ctx,
                workspace=workspace.id,
                email=_email(person, domain),
                name=person,
                password=PASSWORD,
                admin=index == 0,
            )
            members.append(made.user)
            first_token = first_token or made.token
        by_handle = {member.name: member for member in members}
        channel_ids = []
        for channel_name in public:
            channel = await channels.create_channel(
                ctx, workspace_id=workspace.id, creator=members[0].id, name=channel_name
            )
            for member in members[1:]:
                await channels.join_channel(
                    ctx, workspace_id=workspace.id, user_id=member.id, channel_id=channel.id
                )
            channel_ids.append(channel.id)
            channels_by_name[channel_name] = channel.id
        for channel_name, handles in private:
            channel = await channels.create_channel(
                ctx,
                workspace_id=workspace.id,
                creator=by_handle[handles[0]].id,
                name=channel_name,
                is_private=True,
            )
            await channels.invite_to_channel(
                ctx,
                workspace_id=workspace.id,
                inviter=by_handle[handles[0]].id,
                channel_id=channel.id,
                user_ids=[by_handle[h].id for h in handles[1:]],
            )
        general = await _general_id(ctx, workspace)
        total += await _history(demo_ctx, rng, workspace, members, [general, *channel_ids])
        people_by_workspace.append(members)
    # Alice administers the organisation and sits in Acme Labs too: her web client shows
    # the workspace switcher. HQ's #engineering is shared with Labs, and Frank is in it.
    alice = people_by_workspace[0][0]
    as_alice = TokenInfo(alice.id, alice.workspace_id, "user")
    await organisations.make_org_admin(ctx, org_id=org.id, user_id=alice.id)
    await organisations.assign_user(ctx, as_alice, team_id=created[1].id, user_id=alice.id)
    shared = channels_by_name[SHARED_CHANNEL]
    await shared_channels.set_teams(
        ctx,
        as_alice,
        channel_id=shared,
        team_id=created[0].id,
        target_team_ids=[created[1].id],
        org_channel=False,
    )
    frank = people_by_workspace[1][0]
    await channels.join_channel(
        ctx, workspace_id=frank.workspace_id, user_id=frank.id, channel_id=shared
    )
    return DemoInfo(True, created, _emails(), PASSWORD, first_token, total)


async def _general_id(ctx: ServiceContext, workspace: Workspace) -> str:
    async with ctx.router.read(ShardFor(workspace.id)) as conn:
        general = await channel_store.general_channel_txn(conn, workspace.id)
    assert general is not None, "every workspace is created with #general"
    return general.id


async def _history(
    ctx: ServiceContext,
    rng: random.Random,
    workspace: Workspace,
    members: list[User],
    channel_ids: list[str],
) -> int:
    count = 0
    for _ in range(120):
        channel_id = rng.choice(channel_ids)
        author = rng.choice(members)
        posted = await messages.post_message(
            ctx,
            workspace_id=workspace.id,
            user_id=author.id,
            channel_id=channel_id,
            text=rng.choice(LINES),
        )
        count += 1
        if rng.random() < 0.15:
            for replier in rng.sample(members, k=min(len(members), rng.randint(1, 3))):
                await messages.post_message(
                    ctx,
                    workspace_id=workspace.id,
                    user_id=replier.id,
                    channel_id=channel_id,
                    text=rng.choice(REPLIES),
                    thread_ts=posted.ts,
                )
                count += 1
        if rng.random() < 0.25:
            for reactor in rng.sample(members, k=rng.randint(1, len(members))):
                await reactions.add_reaction(
                    ctx,
                    workspace_id=workspace.id,
                    user_id=reactor.id,
                    channel_id=channel_id,
                    ts=posted.ts,
                    name=rng.choice(REACTIONS),
                )
    return count


async def _token_for_first_person(ctx: ServiceContext, workspace: Workspace) -> str:
    return await auth.sign_in(
        ctx,
        workspace=workspace.id,
        email=_email(WORKSPACES[0][2][0], workspace.domain),
        password=PASSWORD,
    )


def _email(person: str, domain: str) -> str:
    return f"{person.split()[0].lower()}@{domain}.example"


def _emails() -> list[str]:
    return [_email(person, domain) for domain, _, people, _, _ in WORKSPACES for person in people]
