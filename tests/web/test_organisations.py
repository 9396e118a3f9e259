"""The web client in an organisation (docs/organisations.md): the workspace switcher, shared
channels marked with the other side, and authors from another workspace labelled.

The demo's organisation: Alice sits in Acme HQ and in Acme Labs; HQ's #engineering is
shared with Labs, and Frank (of Labs) is in it; Bob is in HQ only.
"""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Locator, Page, expect

from tests.web.conftest import Browsers, DemoServer, Person
from tests.web.test_client import conversation, message, open_channel, send, shared_channel


def workspaces(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Workspaces")


async def switch_to(page: Page, name: str) -> None:
    await workspaces(page).get_by_role("button", name=name).click()
    await expect(page.locator(".team-name")).to_have_text(name)
    await expect(workspaces(page).get_by_role("button", name=name)).to_have_attribute(
        "aria-current", "true"
    )
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


async def channel_id(person: Person, name: str) -> str:
    listed = await person.api.conversations_list(limit=1000)
    return str(next(c["id"] for c in listed["channels"] if c["name"] == name))


async def team_ids(person: Person) -> dict[str, str]:
    """The person's workspaces, by name."""
    listed = await person.api.api_call("auth.teams.list")
    return {team["name"]: team["id"] for team in listed["teams"]}


def header(page: Page) -> Locator:
    return page.locator("main .conversation-header")


async def test_a_person_of_two_workspaces_switches_between_them(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    from_hq = f"for the lab {secrets.token_hex(3)}"
    await bob.api.chat_postMessage(channel=await channel_id(bob, "engineering"), text=from_hq)
    page = await browsers.signed_in(demo, alice)
    rail = workspaces(page)
    await expect(rail.get_by_role("button")).to_have_count(2)
    await expect(rail.get_by_role("button", name="Acme HQ")).to_have_attribute(
        "aria-current", "true"
    )
    await expect(rail.get_by_role("button", name="Acme Labs")).not_to_have_attribute(
        "aria-current", "true"
    )
    await browsers.shot(page, "hq")

    await switch_to(page, "Acme Labs")
    await expect(conversation(page, "leadership")).to_have_count(0)  # HQ's, not here
    await page.keyboard.press("Control+k")
    switcher = page.get_by_role("dialog", name="Quick switcher")
    options = switcher.get_by_role("option")
    for name in ["research", "lab-notes", "general"]:
        await expect(options.filter(has=page.get_by_text(name, exact=True))).to_have_count(1)
    await expect(options.filter(has=page.get_by_text("design", exact=True))).to_have_count(0)
    engineering = options.filter(has=page.get_by_text("engineering", exact=True))
    await expect(engineering.locator(".shared")).to_have_attribute("title", "Shared with Acme HQ")
    await browsers.shot(page, "labs-switcher")
    await switcher.get_by_label("Jump to").fill("engineering")
    await switcher.get_by_label("Jump to").press("Enter")
    await expect(header(page).locator(".shared-with")).to_have_text("Shared with Acme HQ")
    # Bob is not in Labs: his name comes from users.info, and HQ labels him.
    posted = message(page, from_hq)
    await expect(posted.locator(".author")).to_have_text("Bob Baker")
    await expect(posted.locator(".author-team")).to_have_text("Acme HQ")
    await browsers.shot(page, "labs-engineering")

    await page.reload()  # the session kept is the Labs one
    await expect(page.locator(".team-name")).to_have_text("Acme Labs")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    await switch_to(page, "Acme HQ")
    await expect(conversation(page, "leadership")).to_be_visible()
    await expect(conversation(page, "engineering").locator(".shared")).to_have_attribute(
        "title", "Shared with Acme Labs"
    )


async def test_a_message_from_another_workspace_names_its_author_and_workspace(
    browsers: Browsers, demo: DemoServer, alice: Person, frank: Person
) -> None:
    engineering = await channel_id(alice, "engineering")
    page = await browsers.signed_in(demo, alice)
    entry = conversation(page, "engineering")
    await expect(entry.locator(".shared")).to_have_attribute("title", "Shared with Acme Labs")
    # Screen readers hear it too, right after the name.
    await expect(entry).to_have_accessible_name(re.compile(r"^engineering\W+Shared with Acme Labs"))
    await open_channel(page, "engineering")
    await expect(header(page).locator(".shared-with")).to_have_text("Shared with Acme Labs")

    text = f"Hello from the lab {secrets.token_hex(3)}"
    await frank.api.chat_postMessage(channel=engineering, text=text)
    posted = message(page, text)
    await expect(posted.locator(".author")).to_have_text("Frank Fischer")
    await expect(posted.locator(".author-team")).to_have_text("Acme Labs")
    await send(page, "engineering", "Welcome, Frank")
    await expect(message(page, "Welcome, Frank").locator(".author-team")).to_have_count(0)
    await browsers.shot(page, "engineering")


async def test_a_person_of_one_workspace_has_no_switcher(
    browsers: Browsers, demo: DemoServer, bob: Person, frank: Person
) -> None:
    page = await browsers.signed_in(demo, bob)
    await expect(page.locator(".team-name")).to_have_text("Acme HQ")
    await expect(workspaces(page)).to_have_count(0)
    # Labs is not his: the channel and Frank's workspace go unnamed.
    await open_channel(page, "engineering")
    await expect(header(page).locator(".shared-with")).to_have_text("Shared with 1 other workspace")
    text = f"Lab results are in {secrets.token_hex(3)}"
    await frank.api.chat_postMessage(channel=await channel_id(bob, "engineering"), text=text)
    posted = message(page, text)
    await expect(posted.locator(".author")).to_have_text("Frank Fischer")
    await expect(posted.locator(".author-team")).to_have_text("Other workspace")
    await browsers.shot(page, "bob")


async def test_a_status_change_of_someone_of_both_workspaces_keeps_her_ours(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    """Alice sits in HQ and Labs, and #engineering is shared between them: when she changes
    her status, Bob's HQ window still shows her as one of HQ's, unlabelled."""
    engineering = await channel_id(bob, "engineering")
    before = f"Before my holiday {secrets.token_hex(3)}"
    await alice.api.chat_postMessage(channel=engineering, text=before)
    page = await browsers.signed_in(demo, bob)
    await open_channel(page, "engineering")
    await expect(message(page, before).locator(".author")).to_have_text("Alice Archer")
    try:
        await alice.api.users_profile_set(profile={"status_text": "On holiday"})
        after = f"Off now {secrets.token_hex(3)}"
        # After her changes in the log: shown once they have been applied.
        await alice.api.chat_postMessage(channel=engineering, text=after)
        await expect(message(page, after)).to_be_visible()
        for text in (before, after):
            await expect(message(page, text).locator(".author")).to_have_text("Alice Archer")
            await expect(message(page, text).locator(".author-team")).to_have_count(0)
        await browsers.shot(page, "bob-sees-alice")
    finally:
        await alice.api.users_profile_set(profile={"status_text": ""})


async def test_sharing_and_unsharing_a_channel_shows_live(
    browsers: Browsers, demo: DemoServer, alice: Person, frank: Person
) -> None:
    channel = await shared_channel(alice, name="joint")
    teams = await team_ids(alice)
    alices = await browsers.signed_in(demo, alice)
    franks = await browsers.signed_in(demo, frank)
    await expect(conversation(alices, channel.name)).to_be_visible()
    await expect(conversation(alices, channel.name).locator(".shared")).to_have_count(0)

    await alice.api.api_call(
        "admin.conversations.setTeams",
        json={"channel_id": channel.id, "target_team_ids": teams["Acme Labs"]},
    )
    await expect(conversation(alices, channel.name).locator(".shared")).to_have_attribute(
        "title", "Shared with Acme Labs"
    )
    await frank.api.conversations_join(channel=channel.id)
    entry = conversation(franks, channel.name)
    await expect(entry.locator(".shared")).to_have_attribute(
        "title", "Shared with 1 other workspace"
    )
    await open_channel(franks, channel.name)
    await send(franks, channel.name, "Glad to join from Labs")
    await browsers.shot(franks, "joined")

    # Labs leaves: the channel goes from Frank's sidebar, and it is HQ's alone again.
    await alice.api.api_call(
        "admin.conversations.disconnectShared",
        json={"channel_id": channel.id, "leaving_team_ids": teams["Acme Labs"]},
    )
    await expect(entry).to_have_count(0)
    await expect(franks.locator(".team-name")).to_have_text("Acme Labs")  # still signed in
    await expect(conversation(franks, "general")).to_have_attribute("aria-current", "page")
    await expect(conversation(alices, channel.name).locator(".shared")).to_have_count(0)
    await browsers.shot(franks, "disconnected")
