"""What a bot reads of a conversation it is not in: Slack's one rule, for every way of reading
(docs/webapp.md#who-reads-what). A bot (an app) sees the basic information of its
workspace's public channels, and reads messages, threads, reactions and pins only where it
has been added; a private channel it is not in does not exist for it.

The table names every registered method, as a reading method or as one that reads no
conversation, so a new method cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.messaging import messages, pins, reactions
from backchannel.services.people import users
from backchannel.webapp.registry import METHODS
from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.files import shared_file
from tests.webapp.conftest import answer, client_for

MARKER = "only-for-members-marker"
OK = "ok"


@dataclass
class Scene:
    public: str
    private: str
    public_ts: str
    private_ts: str
    alice: str
    bot: ValidatingAsyncWebClient
    bot_user: str
    files: tuple[str, str]  # one shared in each


@pytest.fixture
async def scene(ctx: ServiceContext, server: str, acme: Acme) -> Scene:
    """#plans (public) and #secret (private), each with a thread, a reaction and a pin by
    alice; a bot of acme in neither."""
    alice, workspace = acme.alice.user.id, acme.workspace.id
    said: list[tuple[str, str]] = []
    shared: list[str] = []
    for name, private in (("plans", False), ("secret", True)):
        channel = await channels.create_channel(
            ctx, workspace_id=workspace, creator=alice, name=name, is_private=private
        )
        where = {"workspace_id": workspace, "user_id": alice, "channel_id": channel.id}
        shared.append(await shared_file(ctx, **where, content=MARKER.encode()))
        root = await messages.post_message(ctx, **where, text=f"{MARKER} {name}")
        await messages.post_message(ctx, **where, text=f"{MARKER} reply", thread_ts=root.ts)
        await reactions.add_reaction(ctx, **where, ts=root.ts, name="eyes")
        await pins.pin_message(ctx, **where, ts=root.ts)
        said.append((channel.id, root.ts))
    bot = await users.create_bot(ctx, workspace="acme", name="Robot")
    (public, public_ts), (private, private_ts) = said
    robot = client_for(server, bot.token)
    files = (shared[0], shared[1])
    return Scene(public, private, public_ts, private_ts, alice, robot, bot.user.id, files)


def reads(s: Scene) -> dict[str, list[tuple[dict[str, Any], str]]]:
    """Each reading method, with what a bot in neither channel gets: ok, or the error."""

    def of_both(public: str, ts_as: str | None = None) -> list[tuple[dict[str, Any], str]]:
        """The call on #plans answers `public`; on #secret, channel_not_found. `ts_as` names
        the argument that takes the message's ts."""
        on_public: dict[str, Any] = {"channel": s.public}
        on_private: dict[str, Any] = {"channel": s.private}
        if ts_as is not None:
            on_public[ts_as], on_private[ts_as] = s.public_ts, s.private_ts
        return [(on_public, public), (on_private, "channel_not_found")]

    return {
        # Basic information of a public channel: any app of the workspace (channels:read).
        "conversations.info": of_both(OK),
        "conversations.members": of_both(OK),
        # What is said in it: only where the app has been added (channels:history,
        # reactions:read, pins:read).
        "conversations.history": of_both("not_in_channel"),
        "conversations.replies": of_both("not_in_channel", "ts"),
        "reactions.get": of_both("not_in_channel", "timestamp"),
        "pins.list": of_both("not_in_channel"),
        # A file shared only where the bot is not (files:read).
        "files.info": [({"file": file}, "file_not_found") for file in s.files],
        # A link names a message without showing it.
        "chat.getPermalink": of_both(OK, "message_ts"),
        # Lists across conversations: only what the rule lets the bot read.
        "reactions.list": [({"user": s.alice}, OK), ({}, OK)],
        "conversations.list": [({"types": "public_channel,private_channel,mpim,im"}, OK)],
        "users.conversations": [({"types": "public_channel,private_channel"}, OK), ({}, OK)],
        "client.counts": [({}, OK)],
        "search.messages": [({"query": MARKER}, "not_allowed_token_type")],
    }


# The other methods read no conversation a bot is not in: they change things (refused to a
# bot outside the channel in their own tests), or read people, workspaces, the caller's own
# read state (rtm.*: tests/webapp/test_rtm_methods.py) or invitations.
READS_NO_CONVERSATION = {
    "api.test", "auth.test", "auth.revoke", "auth.teams.list", "team.info",
    "users.list", "users.info", "users.lookupByEmail", "users.getPresence",
    "users.setPresence", "users.profile.get", "users.profile.set", "users.setPhoto",
    "users.deletePhoto", "conversations.create", "conversations.join",
    "conversations.leave", "conversations.invite", "conversations.kick",
    "conversations.archive", "conversations.unarchive", "conversations.rename",
    "conversations.setTopic", "conversations.setPurpose", "conversations.open",
    "conversations.mark", "chat.postMessage", "chat.update", "chat.delete", "chat.meMessage",
    "chat.postEphemeral", "reactions.add", "reactions.remove", "pins.add", "pins.remove",
    "rtm.connect", "rtm.start", "apps.connections.open", "admin.teams.create", "admin.teams.list",
    "admin.users.assign", "admin.users.remove", "admin.conversations.setTeams",
    "admin.conversations.getTeams", "admin.conversations.disconnectShared",
    "conversations.inviteShared", "conversations.acceptSharedInvite",
    "conversations.declineSharedInvite", "conversations.listConnectInvites",
    "apps.manifest.validate", "apps.manifest.create", "apps.manifest.update",
    "apps.manifest.export", "apps.manifest.delete", "apps.uninstall", "bots.info",
    "files.getUploadURLExternal", "files.completeUploadExternal",
}  # fmt: skip


async def test_every_method_is_in_the_table(scene: Scene) -> None:
    table = set(reads(scene))
    assert not table & READS_NO_CONVERSATION
    assert set(METHODS) <= table | READS_NO_CONVERSATION, "add the new method to reads()"


async def test_a_bot_reads_only_conversations_it_is_in(scene: Scene) -> None:
    wrong = []
    for method, calls in reads(scene).items():
        for args, expected in calls:
            reply = await answer(scene.bot, method, args)
            outcome = OK if reply["ok"] else reply["error"]
            if outcome != expected:
                wrong.append(f"{method}({args}): {outcome}, not {expected}")
            # Nothing said in either channel, and nothing of #secret, in any reply.
            shown = orjson.dumps({k: v for k, v in reply.items() if k != "response_metadata"})
            if MARKER.encode() in shown or scene.private.encode() in shown:
                wrong.append(f"{method}({args}) revealed {shown[:300]!r}")
    assert not wrong, "\n".join(wrong)


async def test_once_added_the_bot_reads_it_all(
    scene: Scene, alice: ValidatingAsyncWebClient
) -> None:
    await scene.bot.conversations_join(channel=scene.public)
    await alice.conversations_invite(channel=scene.private, users=scene.bot_user)
    for channel, ts in ((scene.public, scene.public_ts), (scene.private, scene.private_ts)):
        history = (await scene.bot.conversations_history(channel=channel))["messages"]
        assert MARKER in history[0]["text"]
        thread = (await scene.bot.conversations_replies(channel=channel, ts=ts))["messages"]
        assert [m["text"].startswith(MARKER) for m in thread] == [True, True]
        reacted = (await scene.bot.reactions_get(channel=channel, timestamp=ts))["message"]
        assert [r["name"] for r in reacted["reactions"]] == ["eyes"]
        pinned = (await scene.bot.pins_list(channel=channel))["items"]
        assert [item["message"]["ts"] for item in pinned] == [ts]
    listed = (await scene.bot.reactions_list(user=scene.alice))["items"]
    assert {item["channel"] for item in listed} == {scene.public, scene.private}
    for file in scene.files:
        assert (await scene.bot.files_info(file=file))["file"]["id"] == file
