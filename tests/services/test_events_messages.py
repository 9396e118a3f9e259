"""The RTM events of messages, reactions and pins, as the services publish them.

`listen` captures what reaches the bus; the other test_events_* modules use it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from backchannel.bus.codec import decode_event
from backchannel.errors import BackchannelError
from backchannel.models import Event, Position
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.conversations import settings as channel_settings
from backchannel.services.messaging import messages, pins, reactions, webhooks
from backchannel.services.realtime import events
from tests.conftest import Acme, dev_channel


@dataclass
class Heard:
    """Every event published on the bus since `listen`, decoded, in order."""

    events: list[Event] = field(default_factory=list)

    def handle(self, subject: str, data: bytes) -> None:
        self.events.append(decode_event(data))

    def kinds(self) -> list[str]:
        """Each event's type, or its subtype for a message that has one."""
        return [event.payload.get("subtype") or event.type for event in self.events]

    def one(self, kind: str) -> Event:
        [found] = [
            event for event in self.events if kind in (event.type, event.payload.get("subtype"))
        ]
        return found

    def clear(self) -> None:
        self.events.clear()


async def listen(ctx: ServiceContext) -> Heard:
    heard = Heard()
    await ctx.bus.subscribe("bc.>", heard.handle)
    return heard


async def log_head(ctx: ServiceContext, workspace_id: str) -> Position:
    stream = (await ctx.router.assignment(workspace_id)).db_shard
    return await events.stream_head(ctx, stream)


async def post(
    ctx: ServiceContext,
    acme: Acme,
    channel_id: str,
    text: str = "hi",
    *,
    thread_ts: str | None = None,
    reply_broadcast: bool = False,
    client_msg_id: str | None = None,
) -> str:
    """alice posts; the message's ts."""
    message = await messages.post_message(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.alice.user.id,
        channel_id=channel_id,
        text=text,
        thread_ts=thread_ts,
        reply_broadcast=reply_broadcast,
        client_msg_id=client_msg_id,
    )
    return message.ts


async def test_a_post_is_one_message_event_to_its_channel(ctx: ServiceContext, acme: Acme) -> None:
    dev = await dev_channel(ctx, acme)
    heard = await listen(ctx)
    ts = await post(ctx, acme, dev, "hello")
    [event] = heard.events
    assert (event.scope, event.channel_id, event.membership) == ("channel", dev, None)
    assert event.payload == {
        "type": "message",
        "channel": dev,
        "user": acme.alice.user.id,
        "text": "hello",
        "ts": ts,
        "team": acme.workspace.id,
        "event_ts": ts,
    }
    assert event.position is not None


async def test_a_thread_reply_and_a_broadcast_name_their_thread(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    root = await post(ctx, acme, dev, "root")
    heard = await listen(ctx)
    await post(ctx, acme, dev, "reply", thread_ts=root)
    await post(ctx, acme, dev, "everyone", thread_ts=root, reply_broadcast=True)
    assert heard.kinds() == ["message", "message_replied", "thread_broadcast", "message_replied"]
    reply, broadcast = (heard.events[0].payload, heard.events[2].payload)
    assert (reply["thread_ts"], reply["parent_user_id"]) == (root, acme.alice.user.id)
    assert "subtype" not in reply
    assert (broadcast["subtype"], broadcast["thread_ts"]) == ("thread_broadcast", root)


async def test_a_reply_and_its_deletion_update_the_thread_root(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    root = await post(ctx, acme, dev, "root")
    heard = await listen(ctx)
    first = await post(ctx, acme, dev, "first", thread_ts=root)
    await bob_reacts(ctx, acme, dev, root, "eyes")
    second = await post(ctx, acme, dev, "second", thread_ts=root)
    replied = [e.payload for e in heard.events if e.payload.get("subtype") == "message_replied"]
    assert [(p["hidden"], p["channel"], p["ts"]) for p in replied] == [
        (True, dev, first),
        (True, dev, second),
    ]
    latest = replied[-1]["message"]
    assert (latest["ts"], latest["reply_count"], latest["latest_reply"]) == (root, 2, second)
    assert latest["reply_users"] == [acme.alice.user.id]
    assert latest["reactions"][0]["name"] == "eyes"  # the whole root, not just its counts
    heard.clear()
    await _delete(ctx, acme, dev, second)
    assert heard.kinds() == ["message_deleted", "message_replied"]
    after = heard.events[-1].payload["message"]
    assert (after["reply_count"], after["latest_reply"]) == (1, first)


async def test_posting_to_a_user_id_opens_the_dm_before_the_message(
    ctx: ServiceContext, acme: Acme
) -> None:
    heard = await listen(ctx)
    await post(ctx, acme, acme.bob.user.id, "psst")
    assert heard.kinds() == ["im_created", "im_created", "message"]
    dm = heard.events[-1].channel_id
    assert dm is not None and dm.startswith("D")
    assert {event.user_id for event in heard.events[:2]} == {acme.alice.user.id, acme.bob.user.id}
    heard.clear()
    await post(ctx, acme, acme.bob.user.id, "again")
    assert heard.kinds() == ["message"]


async def test_a_retried_post_is_published_once(ctx: ServiceContext, acme: Acme) -> None:
    dev = await dev_channel(ctx, acme)
    heard = await listen(ctx)
    first = await post(ctx, acme, dev, client_msg_id="c-1")
    again = await post(ctx, acme, dev, client_msg_id="c-1")
    assert first == again
    assert heard.kinds() == ["message"]


async def test_a_refused_post_publishes_nothing_and_logs_nothing(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    secret = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.bob.user.id, name="secret"
    )
    await channel_settings.archive_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.alice.user.id, channel_id=dev
    )
    head = await log_head(ctx, acme.workspace.id)
    heard = await listen(ctx)
    for channel_id, error in [(dev, "is_archived"), (secret.id, "not_in_channel")]:
        with pytest.raises(BackchannelError) as refused:
            await post(ctx, acme, channel_id)
        assert refused.value.slack_error == error
    assert heard.events == []
    assert await log_head(ctx, acme.workspace.id) == head


async def test_an_edit_is_message_changed_with_both_versions(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    ts = await post(ctx, acme, dev, "teh")
    heard = await listen(ctx)
    await messages.update_message(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.alice.user.id,
        channel_id=dev,
        ts=ts,
        text="the",
    )
    event = heard.one("message_changed")
    payload = event.payload
    assert (event.scope, event.channel_id, payload["hidden"]) == ("channel", dev, True)
    assert (payload["message"]["ts"], payload["message"]["text"]) == (ts, "the")
    assert payload["message"]["edited"]["user"] == acme.alice.user.id
    assert payload["previous_message"]["text"] == "teh"
    assert payload["event_ts"] == payload["ts"] == payload["message"]["edited"]["ts"]


async def test_a_delete_is_message_deleted(ctx: ServiceContext, acme: Acme) -> None:
    dev = await dev_channel(ctx, acme)
    ts = await post(ctx, acme, dev, "oops")
    heard = await listen(ctx)
    await _delete(ctx, acme, dev, ts)
    payload = heard.one("message_deleted").payload
    assert (payload["channel"], payload["deleted_ts"], payload["hidden"]) == (dev, ts, True)
    assert payload["previous_message"]["text"] == "oops"


async def test_a_deleted_thread_root_turns_into_a_tombstone_until_its_last_reply_goes(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    root = await post(ctx, acme, dev, "root")
    reply = await post(ctx, acme, dev, "reply", thread_ts=root)
    heard = await listen(ctx)
    await _delete(ctx, acme, dev, root)
    changed = heard.one("message_changed").payload
    assert (changed["message"]["ts"], changed["message"]["subtype"]) == (root, "tombstone")
    assert changed["previous_message"]["text"] == "root"
    heard.clear()
    await _delete(ctx, acme, dev, reply)
    assert [event.payload["deleted_ts"] for event in heard.events] == [reply, root]


async def bob_reacts(ctx: ServiceContext, acme: Acme, channel_id: str, ts: str, name: str) -> None:
    await reactions.add_reaction(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.bob.user.id,
        channel_id=channel_id,
        ts=ts,
        name=name,
    )


async def _delete(ctx: ServiceContext, acme: Acme, channel_id: str, ts: str) -> None:
    await messages.delete_message(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.alice.user.id,
        channel_id=channel_id,
        ts=ts,
    )


async def test_reactions_are_added_and_removed_in_the_channel(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    ts = await post(ctx, acme, dev)
    heard = await listen(ctx)
    where = {"workspace_id": acme.workspace.id, "user_id": acme.bob.user.id, "channel_id": dev}
    await reactions.add_reaction(ctx, **where, ts=ts, name="tada")
    await reactions.remove_reaction(ctx, **where, ts=ts, name="tada")
    assert heard.kinds() == ["reaction_added", "reaction_removed"]
    for event in heard.events:
        assert (event.scope, event.channel_id) == ("channel", dev)
        assert event.payload["item"] == {"type": "message", "channel": dev, "ts": ts}
        assert (event.payload["user"], event.payload["reaction"]) == (acme.bob.user.id, "tada")
        assert event.payload["item_user"] == acme.alice.user.id


async def test_pins_are_added_and_removed_with_the_pinned_message(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    ts = await post(ctx, acme, dev, "important")
    heard = await listen(ctx)
    where = {"workspace_id": acme.workspace.id, "user_id": acme.bob.user.id, "channel_id": dev}
    await pins.pin_message(ctx, **where, ts=ts)
    await pins.unpin_message(ctx, **where, ts=ts)
    added, removed = (event.payload for event in heard.events)
    assert (added["type"], added["channel_id"], added["user"]) == (
        "pin_added",
        dev,
        acme.bob.user.id,
    )
    assert added["item"]["message"]["text"] == "important"
    assert added["item"]["created_by"] == acme.bob.user.id
    assert (removed["type"], removed["has_pins"]) == ("pin_removed", False)
    assert removed["item"]["created"] == added["item"]["created"]


async def test_a_webhook_post_is_a_bot_message_event(ctx: ServiceContext, acme: Acme) -> None:
    dev = await dev_channel(ctx, acme)
    made = await webhooks.create_webhook(ctx, workspace="acme", channel=dev)
    heard = await listen(ctx)
    post_ = webhooks.read_payload({"text": "deployed"})
    await webhooks.post_via_webhook(ctx, made.webhook, post_)
    payload = heard.one("message").payload
    assert (payload["subtype"], payload["bot_id"], payload["text"]) == (
        "bot_message",
        made.webhook.id,
        "deployed",
    )


async def test_an_ephemeral_message_goes_live_to_its_recipient_only(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    heard = await listen(ctx)
    ts = await messages.post_ephemeral(
        ctx,
        workspace_id=acme.workspace.id,
        user_id=acme.alice.user.id,
        channel_id=dev,
        recipient=acme.bob.user.id,
        text="only you",
    )
    [event] = heard.events
    assert (event.scope, event.user_id, event.position) == ("user", acme.bob.user.id, None)
    assert (event.payload["ts"], event.payload["is_ephemeral"]) == (ts, True)


async def test_durable_events_follow_each_other_in_the_log_as_on_the_bus(
    ctx: ServiceContext, acme: Acme
) -> None:
    dev = await dev_channel(ctx, acme)
    start = await log_head(ctx, acme.workspace.id)
    heard = await listen(ctx)
    ts = await post(ctx, acme, dev, "one")
    await post(ctx, acme, dev, "two", thread_ts=ts)
    await bob_reacts(ctx, acme, dev, ts, "eyes")
    positions = [event.position for event in heard.events]
    assert [position.seq for position in positions if position] == [
        start.seq + 1,
        start.seq + 2,
        start.seq + 3,
        start.seq + 4,
    ]
    logged = await events.read_stream(ctx, start, limit=100)
    assert logged == heard.events
    assert [event.position for event in logged] == positions
