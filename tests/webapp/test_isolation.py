"""Tenant isolation: eve of globex, with acme's ids in hand, reaches nothing of acme.

Every registered method is called with acme's ids (the table must cover every method, so
a new method cannot be forgotten). No reply may carry anything of acme, and afterwards
acme is exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import yaml
from slack_sdk.errors import SlackApiError

from backchannel.services import ServiceContext
from backchannel.services.apps import installs
from backchannel.services.conversations import channels
from backchannel.services.messaging import messages, reactions
from backchannel.webapp.registry import METHODS
from tests.apps.conftest import HELLO_MANIFEST
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.files import shared_file
from tests.webapp.conftest import Globex

MARKER = "acme-confidential-marker"
MANIFEST = orjson.dumps(yaml.safe_load(HELLO_MANIFEST)).decode()


@dataclass
class AcmeSecrets:
    public: str
    private: str
    ts: str
    values: dict[str, str]


@pytest.fixture
async def secrets(ctx: ServiceContext, acme: Acme) -> AcmeSecrets:
    alice, workspace = acme.alice.user, acme.workspace.id
    public = await channels.create_channel(
        ctx, workspace_id=workspace, creator=alice.id, name="plans"
    )
    private = await channels.create_channel(
        ctx, workspace_id=workspace, creator=alice.id, name="secret", is_private=True
    )
    posted = await messages.post_message(
        ctx, workspace_id=workspace, user_id=alice.id, channel_id=public.id, text=f"{MARKER} launch"
    )
    await reactions.add_reaction(
        ctx,
        workspace_id=workspace,
        user_id=alice.id,
        channel_id=public.id,
        ts=posted.ts,
        name="eyes",
    )
    app = (await installs.create_app(ctx, workspace=workspace, manifest=HELLO_MANIFEST)).app
    file = await shared_file(
        ctx, workspace_id=workspace, user_id=alice.id, channel_id=private.id, content=b"plan"
    )
    values = {
        "workspace": workspace,
        "alice": alice.id,
        "bob": acme.bob.user.id,
        "public": public.id,
        "private": private.id,
        "marker": MARKER,
        "email": "alice@acme.test",
        "app": app.id,
        "app_bot": app.bot_id,
        "app_bot_user": app.bot_user_id,
        "app_client": app.client_id,
        "signing_secret": app.signing_secret,
        "file": file,
    }
    return AcmeSecrets(public.id, private.id, posted.ts, values)


def foreign_calls(s: AcmeSecrets) -> dict[str, list[dict[str, Any]]]:
    """For each method, the argument sets eve tries with acme's ids."""
    v = s.values
    channel_calls = [{"channel": s.public}, {"channel": s.private}]
    message_calls = [{"channel": s.public, "ts": s.ts}, {"channel": s.private, "ts": s.ts}]
    reaction_calls = [{"channel": s.public, "timestamp": s.ts, "name": "eyes"}]
    return {
        "api.test": [{}],
        "auth.test": [{}],
        "auth.revoke": [{"test": "true"}],
        "team.info": [{"team": v["workspace"]}],
        "users.list": [{}],
        "users.info": [{"user": v["alice"]}],
        "users.lookupByEmail": [{"email": v["email"]}],
        "users.conversations": [{"user": v["alice"]}, {}],
        "users.getPresence": [{"user": v["alice"]}],
        "users.setPresence": [{"presence": "away"}],
        "users.profile.get": [{"user": v["alice"]}],
        "users.profile.set": [{"user": v["alice"], "name": "title", "value": "pwned"}],
        # Both act on the caller's own photo only: eve's own, whatever she names.
        "users.setPhoto": [{"user": v["alice"]}],
        "users.deletePhoto": [{"user": v["alice"]}],
        "conversations.create": [{"name": "plans"}],
        "conversations.list": [{"types": "public_channel,private_channel,mpim,im"}],
        "conversations.info": channel_calls,
        "conversations.history": channel_calls,
        "conversations.replies": message_calls,
        "conversations.join": channel_calls,
        "conversations.leave": channel_calls,
        "conversations.invite": [{**c, "users": v["bob"]} for c in channel_calls],
        "conversations.kick": [{**c, "user": v["bob"]} for c in channel_calls],
        "conversations.archive": channel_calls,
        "conversations.unarchive": channel_calls,
        "conversations.rename": [{**c, "name": "pwned"} for c in channel_calls],
        "conversations.setTopic": [{**c, "topic": "pwned"} for c in channel_calls],
        "conversations.setPurpose": [{**c, "purpose": "pwned"} for c in channel_calls],
        "conversations.members": channel_calls,
        "conversations.open": [{"users": v["alice"]}, {"users": f"{v['alice']},{v['bob']}"}],
        "conversations.mark": message_calls,
        "chat.postMessage": [{**c, "text": "pwned"} for c in channel_calls]
        + [{"channel": v["alice"], "text": "pwned"}],
        "chat.update": [{**c, "text": "pwned"} for c in message_calls],
        "chat.delete": message_calls,
        "chat.getPermalink": [{"channel": s.public, "message_ts": s.ts}],
        "chat.meMessage": [{**c, "text": "pwned"} for c in channel_calls],
        "chat.postEphemeral": [{**c, "user": v["alice"], "text": "pwned"} for c in channel_calls],
        "reactions.add": [{**c, "name": "fire"} for c in reaction_calls],
        "reactions.remove": reaction_calls,
        "reactions.get": [{"channel": s.public, "timestamp": s.ts}],
        "reactions.list": [{"user": v["alice"]}, {}],
        "pins.add": [{"channel": s.public, "timestamp": s.ts}],
        "pins.remove": [{"channel": s.public, "timestamp": s.ts}],
        "pins.list": channel_calls,
        "search.messages": [{"query": MARKER}, {"query": "launch"}],
        # With an edge registered, tests/webapp/test_rtm_methods.py checks these too.
        "rtm.connect": [{}],
        "rtm.start": [{}],
        "client.counts": [{}],
        # A person's token opens no Socket Mode connection (tests/apps check an app's own).
        "apps.connections.open": [{}],
        "auth.teams.list": [{}],
        # eve administers nothing, and acme is in no organisation of hers.
        "admin.teams.create": [{"team_domain": "acme-pwned", "team_name": "pwned"}],
        "admin.teams.list": [{}],
        "admin.users.assign": [{"team_id": v["workspace"], "user_id": v["alice"]}],
        "admin.users.remove": [{"team_id": v["workspace"], "user_id": v["alice"]}],
        "admin.conversations.setTeams": [
            {"channel_id": s.public, "target_team_ids": v["workspace"]},
            {"channel_id": s.private, "org_channel": "true"},
        ],
        "admin.conversations.getTeams": [{"channel_id": s.public}],
        # eve may not offer acme's channels, nor take them in (no invitation is hers).
        "conversations.inviteShared": [
            {"channel": s.public, "team_id": "T00001ZZZZZ"},
            {"channel": s.private, "emails": "eve@globex.test"},
        ],
        "conversations.acceptSharedInvite": [
            {"channel_name": "plans", "channel_id": s.public},
            {"channel_name": "plans", "invite_id": "I0000000000"},
        ],
        "conversations.declineSharedInvite": [{"invite_id": "I0000000000"}],
        "conversations.listConnectInvites": [{}],
        "admin.conversations.disconnectShared": [
            {"channel_id": s.public, "leaving_team_ids": v["workspace"]}
        ],
        # eve administers nothing; an admin of globex is held to globex's apps in
        # tests/webapp/test_manifest_api.py.
        "apps.manifest.validate": [{"manifest": MANIFEST, "app_id": v["app"]}],
        "apps.manifest.create": [{"manifest": MANIFEST}],
        "apps.manifest.update": [{"manifest": MANIFEST, "app_id": v["app"]}],
        "apps.manifest.export": [{"app_id": v["app"]}],
        "apps.manifest.delete": [{"app_id": v["app"]}],
        "apps.uninstall": [{"client_id": v["app_client"], "client_secret": "guessed"}],
        "bots.info": [{"bot": v["app_bot"]}],
        # eve's own upload goes on in globex; acme's file is not hers to share or see.
        "files.getUploadURLExternal": [{"filename": "pwned.txt", "length": 3}],
        "files.completeUploadExternal": [
            {"files": orjson.dumps([{"id": v["file"]}]).decode(), "channel_id": s.public}
        ],
        "files.info": [{"file": v["file"]}],
    }


async def _snapshot(alice: ValidatingAsyncWebClient, s: AcmeSecrets) -> bytes:
    """What alice sees of acme's channels, messages and profile."""
    seen: dict[str, Any] = {}
    for channel in (s.public, s.private):
        info = (await alice.conversations_info(channel=channel)).data["channel"]
        seen[channel] = {k: info.get(k) for k in ("name", "topic", "purpose", "is_archived")}
        seen[f"{channel}/members"] = (await alice.conversations_members(channel=channel))["members"]
        seen[f"{channel}/history"] = (await alice.conversations_history(channel=channel))[
            "messages"
        ]
    seen["pins"] = (await alice.pins_list(channel=s.public)).data.get("items")
    seen["alice"] = (await alice.users_info(user=s.values["alice"]))["user"]["profile"]
    seen["app"] = (await alice.apps_manifest_export(app_id=s.values["app"]))["manifest"]
    seen["app_bot"] = (await alice.bots_info(bot=s.values["app_bot"]))["bot"]
    return orjson.dumps(seen, option=orjson.OPT_SORT_KEYS)


async def test_every_method_is_in_the_matrix(secrets: AcmeSecrets) -> None:
    assert set(METHODS) <= set(foreign_calls(secrets)), "add the new method to foreign_calls"


async def test_a_foreign_token_reaches_nothing(
    alice: ValidatingAsyncWebClient,
    eve: ValidatingAsyncWebClient,
    globex: Globex,
    secrets: AcmeSecrets,
) -> None:
    before = await _snapshot(alice, secrets)
    leaks = []
    for method, calls in foreign_calls(secrets).items():
        if method not in METHODS:
            continue
        for args in calls:
            try:
                reply = (await eve.api_call(method, params=args)).data
            except SlackApiError as refused:
                reply = refused.response.data
            assert isinstance(reply, dict)
            # Leave out what only echoes eve's own input: error details and search's query.
            echoes = {"response_metadata", "query"}
            shown = orjson.dumps({k: v for k, v in reply.items() if k not in echoes})
            found = [name for name, value in secrets.values.items() if value.encode() in shown]
            if found:
                leaks.append(f"{method}({args}) revealed {found}: {shown[:300]!r}")
    assert leaks == []
    assert await _snapshot(alice, secrets) == before
