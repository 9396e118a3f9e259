"""The web client boots lean (docs/web-client.md, docs/edge-cache.md): client.boot on its
socket instead of rtm.start, the quick switcher asks the edge for what the boot left out,
and people the page was never sent are named (users.info on the socket, `objects` frames).

The pages' traffic is watched (conftest.Traffic): the Web API methods they call, and the
frames of their sockets.
"""

from __future__ import annotations

import secrets
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.web.conftest import Browsers, DemoServer, Person, Traffic
from tests.web.test_client import (
    Channel,
    conversation,
    message,
    open_channel,
    send_dm,
    shared_channel,
)
from tests.web.test_organisations import channel_id


def boot_of(traffic: Traffic) -> dict[str, Any]:
    """The reply to the page's first client.boot."""
    return traffic.replies_to("client.boot")[0]


def user_ids(frames: list[dict[str, Any]], key: str = "users") -> set[str]:
    return {user["id"] for frame in frames for user in frame.get(key, [])}


def asked_about(traffic: Traffic) -> set[str]:
    """The people the page asked users.info about on its socket."""
    return {user for frame in traffic.sent_of("users.info") for user in frame["users"]}


async def newest_by(person: Person, *channels: Channel | str) -> None:
    """The newest message of each is the person's: a boot names its author, nobody else."""
    for channel in channels:
        where = channel.id if isinstance(channel, Channel) else channel
        await person.api.chat_postMessage(channel=where, text=f"and now {secrets.token_hex(3)}")


async def open_switcher(page: Page) -> Locator:
    await page.keyboard.press("Control+k")
    return page.get_by_role("dialog", name="Quick switcher")


async def test_the_page_boots_lean_on_its_socket_and_again_on_each_new_one(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="lean")
    await alice.api.chat_postMessage(channel=channel.id, text="before bob looks")
    await alice.api.chat_postMessage(channel=channel.id, text=f"<@{bob.user_id}> and you")
    page = await browsers.signed_in(demo, bob)
    traffic = browsers.traffic[page]
    entry = conversation(page, channel.name)
    await expect(entry.locator(".unread")).to_have_text("2")  # the boot's counts
    await expect(entry.locator(".mentions")).to_have_text("1")
    await expect(conversation(page, "leadership")).to_be_visible()  # his private channel
    assert "rtm.connect" in traffic.methods
    assert not {"rtm.start", "client.counts"} & set(traffic.methods)
    boot = boot_of(traffic)
    assert boot["ok"] is True and boot["lean"] is True
    assert channel.id in {listed["id"] for listed in boot["channels"]}
    assert all(listed["is_member"] for listed in boot["channels"])  # only his
    await browsers.shot(page, "booted")

    # A new socket (back online) boots again; what the page had stays.
    await open_channel(page, channel.name)
    state = page.locator("#connection")
    await page.context.set_offline(True)
    await expect(state).not_to_have_attribute("data-state", "connected")
    await alice.api.chat_postMessage(channel=channel.id, text="while he was away")
    await page.context.set_offline(False)
    await expect(state).to_have_attribute("data-state", "connected")
    await expect(message(page, "while he was away")).to_have_count(1)
    await expect(message(page, "before bob looks")).to_have_count(1)
    await expect(conversation(page, channel.name)).to_have_attribute("aria-current", "page")
    assert len(traffic.sent_of("client.boot")) >= 2
    assert "rtm.start" not in traffic.methods


async def test_the_switcher_finds_people_and_channels_the_boot_left_out(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    suffix = secrets.token_hex(3)
    quinn = await demo.new_person(f"Quinn Q{suffix}")
    uma = await demo.new_person(f"Uma U{suffix}")
    unseen = await shared_channel(alice, name="unseen")  # bob is not in it
    await alice.api.chat_postMessage(channel=unseen.id, text="found by searching")
    general = await channel_id(bob, "general")
    await newest_by(bob, general)  # not their arrival
    page = await browsers.signed_in(demo, bob)
    traffic = browsers.traffic[page]
    boot = boot_of(traffic)
    assert not {quinn.user_id, uma.user_id} & user_ids([boot])
    assert unseen.id not in {listed["id"] for listed in boot["channels"]}

    # A handle typed for someone the page has not been sent still becomes a mention.
    box = page.get_by_label("Message #general")
    await box.fill(f"@uma.u{suffix} see you {suffix}")
    await box.press("Enter")
    posted = message(page, f"see you {suffix}")
    await expect(posted.locator(".mention")).to_have_text(f"@{uma.name}")
    latest = await bob.api.conversations_history(channel=general, limit=1)
    assert latest["messages"][0]["text"] == f"<@{uma.user_id}> see you {suffix}"

    switcher = await open_switcher(page)
    await switcher.get_by_label("Jump to").fill(unseen.name)
    found = switcher.get_by_role("option").first
    await expect(found).to_contain_text(unseen.name)
    await expect(found).to_contain_text("not joined")
    await browsers.shot(page, "channel-found")
    await switcher.get_by_label("Jump to").press("Enter")
    await expect(message(page, "found by searching")).to_be_visible()
    await expect(page.get_by_role("button", name="Join channel")).to_be_visible()
    assert "channels.search" in {frame["type"] for frame in traffic.sent}

    # Enter straight after typing: the switcher waits for the edge's answer.
    switcher = await open_switcher(page)
    await switcher.get_by_label("Jump to").fill(quinn.name)
    await switcher.get_by_label("Jump to").press("Enter")
    await send_dm(page, quinn.name, "Welcome aboard")
    await expect(conversation(page, quinn.name)).to_be_visible()
    assert quinn.user_id in user_ids(traffic.replies_to("users.search"))


async def test_people_the_page_was_not_sent_are_named_when_they_show(
    browsers: Browsers, demo: DemoServer, alice: Person
) -> None:
    suffix = secrets.token_hex(3)
    rosa = await demo.new_person(f"Rosa R{suffix}")
    sam = await demo.new_person(f"Sam S{suffix}")
    earlier = await shared_channel(alice, rosa, name="earlier")
    later = await shared_channel(alice, sam, name="later")
    await rosa.api.chat_postMessage(channel=earlier.id, text="written before alice looked")
    await newest_by(alice, earlier, later, await channel_id(alice, "general"))
    page = await browsers.signed_in(demo, alice)
    traffic = browsers.traffic[page]
    assert not {rosa.user_id, sam.user_id} & user_ids([boot_of(traffic)])

    # A name in the history: asked of the edge on the socket, not of the Web API.
    await open_channel(page, earlier.name)
    posted = message(page, "written before alice looked")
    await expect(posted.locator(".author")).to_have_text(rosa.name)
    assert rosa.user_id in asked_about(traffic)

    # A message of someone never sent: the objects frame just before it brings them.
    await sam.api.chat_postMessage(channel=later.id, text="hello from sam")
    await expect(conversation(page, later.name).locator(".unread")).to_have_text("1")
    objects = [frame for frame in traffic.received if frame.get("type") == "objects"]
    assert sam.user_id in user_ids(objects)
    await open_channel(page, later.name)
    await expect(message(page, "hello from sam").locator(".author")).to_have_text(sam.name)
    assert sam.user_id not in asked_about(traffic)
    assert "users.info" not in traffic.methods
    await browsers.shot(page, "named")
