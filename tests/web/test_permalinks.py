"""Permalinks in the browser: what chat.getPermalink gives (Slack's /archives/<channel>/p<ts>,
with ?thread_ts= for a reply) opens the web client at that message, pages back if need be,
with the thread open for a reply, in the workspace that has it, after signing in if need be
(docs/web-client.md)."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.web.conftest import Browsers, DemoServer, Person, sign_in
from tests.web.test_client import conversation, message, shared_channel
from tests.web.test_organisations import channel_id

HIGHLIGHTED = re.compile(r"\bhighlighted\b")


def thread_panel(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Thread")


async def permalink(person: Person, channel: str, ts: str) -> str:
    return str((await person.api.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])


async def test_a_permalink_opens_an_old_message_and_a_reply_in_its_thread(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="links")
    for number in range(1, 61):
        await alice.api.chat_postMessage(channel=channel.id, text=f"earlier line {number}")
    old = await alice.api.chat_postMessage(channel=channel.id, text="the old decision")
    why = await bob.api.chat_postMessage(channel=channel.id, text="but why", thread_ts=old["ts"])
    for number in range(1, 131):  # the old message is on the third page of history back
        await alice.api.chat_postMessage(channel=channel.id, text=f"later line {number}")
    link = await permalink(alice, channel.id, old["ts"])
    assert link == f"{demo.url}/archives/{channel.id}/p{old['ts'].replace('.', '')}"
    page = await browsers.signed_in(demo, alice)

    await page.goto(link)
    decision = message(page, "the old decision")
    await expect(decision).to_have_class(HIGHLIGHTED)
    await expect(decision).to_be_in_viewport()
    await expect(conversation(page, channel.name)).to_have_attribute("aria-current", "page")
    await expect(page).to_have_url(f"{demo.url}/#/{channel.id}")  # an address like any other
    await expect(thread_panel(page)).to_be_hidden()
    await browsers.shot(page, "old-message")

    reply_link = await permalink(alice, channel.id, why["ts"])
    assert reply_link.endswith(f"?thread_ts={old['ts']}&cid={channel.id}")
    await page.goto(reply_link)
    reply = thread_panel(page).locator("article.message", has_text="but why")
    await expect(reply).to_have_class(HIGHLIGHTED)
    await expect(reply).to_be_in_viewport()
    await expect(message(page, "the old decision")).to_be_in_viewport()  # its root
    await browsers.shot(page, "reply")


async def test_a_signed_out_visitor_signs_in_and_lands_on_the_message(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="shared-link")
    posted = await bob.api.chat_postMessage(channel=channel.id, text="have a look at this")
    page = await browsers.open(await permalink(bob, channel.id, posted["ts"]))
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-out")
    await sign_in(page, alice.email)
    await expect(message(page, "have a look at this")).to_have_class(HIGHLIGHTED)
    await expect(conversation(page, channel.name)).to_have_attribute("aria-current", "page")


async def test_a_permalink_of_another_workspace_switches_to_it(
    browsers: Browsers, demo: DemoServer, alice: Person, frank: Person
) -> None:
    # Alice signs in to Acme HQ; Frank's #general is Acme Labs', where she sits too.
    labs_general = await channel_id(frank, "general")
    posted = await frank.api.chat_postMessage(channel=labs_general, text="labs news")
    page = await browsers.signed_in(demo, alice)
    await expect(page.locator(".team-name")).to_have_text("Acme HQ")

    await page.goto(await permalink(frank, labs_general, posted["ts"]))
    await expect(page.locator(".team-name")).to_have_text("Acme Labs")
    await expect(message(page, "labs news")).to_have_class(HIGHLIGHTED)
