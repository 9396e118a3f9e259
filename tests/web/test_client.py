"""The web client, as people use it: two people in two browsers, live."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from tests.web.conftest import Browsers, DemoServer, Person, demo_server, sign_in
from tests.webapp.test_avatars import png


@dataclass(frozen=True)
class Channel:
    name: str  # as the client shows it
    id: str  # for the API


async def shared_channel(owner: Person, *others: Person, name: str = "web") -> Channel:
    """A new public channel with these people in it (its name unique per call)."""
    made = await owner.api.conversations_create(name=f"{name}-{secrets.token_hex(3)}")
    channel = Channel(made["channel"]["name"], made["channel"]["id"])
    if others:
        await owner.api.conversations_invite(
            channel=channel.id, users=",".join(p.user_id for p in others)
        )
    return channel


async def both_in_a_channel(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person, name: str
) -> tuple[Channel, Page, Page]:
    """A new channel, open in alice's browser and in bob's."""
    channel = await shared_channel(alice, bob, name=name)
    alices = await browsers.signed_in(demo, alice)
    bobs = await browsers.signed_in(demo, bob)
    await open_channel(alices, channel.name)
    await open_channel(bobs, channel.name)
    return channel, alices, bobs


def sidebar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Conversations")


def conversation(page: Page, name: str) -> Locator:
    """The sidebar entry of a conversation, by its exact name."""
    names = page.locator(".name").filter(has_text=re.compile(f"^{re.escape(name)}$"))
    return sidebar(page).locator("a.conversation").filter(has=names)


async def open_channel(page: Page, name: str) -> None:
    await conversation(page, name).click()
    await expect(conversation(page, name)).to_have_attribute("aria-current", "page")


def messages(page: Page) -> Locator:
    return page.get_by_role("log", name="Messages", exact=True).locator("article.message")


def message(page: Page, text: str | re.Pattern[str]) -> Locator:
    return messages(page).filter(has=page.locator(".text", has_text=text))


async def send(page: Page, channel: str, text: str) -> None:
    box = page.get_by_label(f"Message #{channel}")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")
    # Shown once the server has it (the client does not show a message before that).
    await expect(message(page, text).last).to_be_visible()


async def do_action(article: Locator, action: str) -> None:
    await article.hover()
    await article.get_by_role("button", name=action).click()


# -- signing in ---------------------------------------------------------------------------


async def test_the_demo_credentials_sign_in_and_out(browsers: Browsers, demo: DemoServer) -> None:
    page = await browsers.open(demo.url)
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-out")
    form = page.get_by_role("form", name="Sign in")
    await form.get_by_label("Email").fill("alice@acme.example")
    await form.get_by_label("Password").fill("not-the-password")
    await form.get_by_role("button", name="Sign in").click()
    await expect(form.get_by_role("alert")).not_to_be_empty()
    await browsers.shot(page, "sign-in-refused")

    await sign_in(page, "alice@acme.example")
    await expect(conversation(page, "engineering")).to_be_visible()
    await expect(conversation(page, "leadership")).to_be_visible()  # her private channel
    await browsers.shot(page, "signed-in")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["d"]["httpOnly"] is True

    await page.reload()  # the session outlives the page
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-in")
    await sign_out(page)
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-out")
    assert "d" not in {c["name"] for c in await page.context.cookies()}
    await page.reload()
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-out")


async def sign_out(page: Page) -> None:
    button = page.get_by_role("button", name="Sign out")
    if not await button.is_visible():
        await page.get_by_role("button", name="Account").click()
    await button.click()


async def test_two_people_in_one_browser_each_keep_their_own_tab(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    """One browser, one cookie: Alice in one tab, Bob in another, both live; a reload
    keeps each tab's person, and Bob signing out leaves Alice signed in."""
    channel = await shared_channel(alice, bob, name="one-browser")
    alices = await browsers.signed_in(demo, alice)
    bobs = await browsers.another_tab(alices)
    await expect(bobs.locator(".me-name")).to_have_text("Alice Archer")  # the latest sign-in
    await bobs.get_by_role("button", name="Sign in as someone else").click()
    await sign_in(bobs, bob.email)
    await expect(bobs.locator(".me-name")).to_have_text("Bob Baker")
    await open_channel(alices, channel.name)
    await open_channel(bobs, channel.name)
    await send(alices, channel.name, "Alice, in the first tab")
    await expect(message(bobs, "Alice, in the first tab").locator(".author")).to_have_text(
        "Alice Archer"
    )
    await send(bobs, channel.name, "Bob, in the second tab")
    await expect(message(alices, "Bob, in the second tab").locator(".author")).to_have_text(
        "Bob Baker"
    )
    await browsers.shot(alices, "alice-tab")
    await browsers.shot(bobs, "bob-tab")

    for page, name in ((alices, "Alice Archer"), (bobs, "Bob Baker")):
        await page.reload()
        await expect(page.locator(".me-name")).to_have_text(name)
        await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")

    await sign_out(bobs)
    await expect(bobs.locator("#app")).to_have_attribute("data-state", "signed-out")
    assert "d" in {c["name"] for c in await alices.context.cookies()}  # Alice is still on it
    await open_channel(alices, channel.name)
    await bob.api.chat_postMessage(channel=channel.id, text="Bob, from his phone")
    await expect(message(alices, "Bob, from his phone")).to_be_visible()
    await send(alices, channel.name, "Alice, still signed in")
    await sign_out(alices)
    await expect(alices.locator("#app")).to_have_attribute("data-state", "signed-out")
    assert "d" not in {c["name"] for c in await alices.context.cookies()}  # nobody is left


# -- messages, live ------------------------------------------------------------------------


async def test_two_people_talk_live(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="live")
    await alice.api.conversations_open(users=bob.user_id)  # their DM, for the presence dot
    alices = await browsers.signed_in(demo, alice)
    bobs = await browsers.signed_in(demo, bob)
    await open_channel(alices, channel.name)
    await open_channel(bobs, channel.name)

    await alices.get_by_label(f"Message #{channel.name}").press_sequentially("Hello Bob")
    await expect(bobs.locator("#typing")).to_contain_text("Alice Archer is typing")
    await alices.get_by_label(f"Message #{channel.name}").press("Enter")
    greeting = message(bobs, "Hello Bob")
    await expect(greeting).to_be_visible()
    await expect(greeting.locator(".author")).to_have_text("Alice Archer")
    await expect(bobs.locator("#typing")).to_be_empty()
    await send(bobs, channel.name, "Hi Alice, all good?")
    await expect(message(alices, "Hi Alice, all good?")).to_be_visible()
    await browsers.shot(alices, "alice")
    await browsers.shot(bobs, "bob")

    # A new topic shows at once in the header, and as a line in the channel.
    await bob.api.conversations_setTopic(channel=channel.id, topic="Release day")
    await expect(alices.locator("main .topic")).to_have_text("Release day")
    await expect(message(alices, "set the channel topic: Release day")).to_be_visible()

    # Presence: bob is connected; when his browser goes, alice sees him away.
    dm = conversation(alices, "Bob Baker")
    await expect(dm.locator(".presence")).to_have_attribute("data-presence", "active")
    await bobs.context.close()
    await expect(dm.locator(".presence")).to_have_attribute("data-presence", "away")


async def test_unread_and_mention_badges(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="badges")
    bobs = await browsers.signed_in(demo, bob)
    await open_channel(bobs, "random")
    entry = conversation(bobs, channel.name)
    await expect(entry.locator(".unread")).to_have_count(0)
    await alice.api.chat_postMessage(channel=channel.id, text="a plain update")
    await alice.api.chat_postMessage(channel=channel.id, text=f"<@{bob.user_id}> please look")
    await expect(entry.locator(".unread")).to_have_text("2")
    await expect(entry.locator(".mentions")).to_have_text("1")
    await browsers.shot(bobs, "badges")
    await open_channel(bobs, channel.name)
    await expect(message(bobs, "@Bob Baker please look")).to_be_visible()  # the mention, named
    await expect(entry.locator(".unread")).to_have_count(0)
    await expect(entry.locator(".mentions")).to_have_count(0)

    # Read elsewhere (another browser of his): the badge goes here too.
    await open_channel(bobs, "random")
    await alice.api.chat_postMessage(channel=channel.id, text="one more")
    await expect(entry.locator(".unread")).to_have_text("1")
    marked = channel.id
    latest = await bob.api.conversations_history(channel=marked, limit=1)
    await bob.api.conversations_mark(channel=marked, ts=latest["messages"][0]["ts"])
    await expect(entry.locator(".unread")).to_have_count(0)


async def test_threads_in_the_side_panel(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel, alices, bobs = await both_in_a_channel(browsers, demo, alice, bob, "threads")
    await send(alices, channel.name, "Who takes the release?")
    await do_action(message(alices, "Who takes the release?"), "Reply in thread")
    thread = alices.get_by_role("complementary", name="Thread")
    reply_box = thread.get_by_label("Reply in thread")
    await reply_box.fill("I can, on Friday")
    await reply_box.press("Enter")
    await expect(thread.locator("article.message", has_text="I can, on Friday")).to_be_visible()

    parent = message(bobs, "Who takes the release?")
    await expect(parent.locator(".replies")).to_have_text(re.compile(r"1 reply"))
    await expect(message(bobs, "I can, on Friday")).to_have_count(0)  # not in the channel
    await parent.locator(".replies").click()
    bobs_thread = bobs.get_by_role("complementary", name="Thread")
    await expect(
        bobs_thread.locator("article.message", has_text="I can, on Friday")
    ).to_be_visible()
    await bobs_thread.get_by_label("Reply in thread").fill("Thanks!")
    await bobs_thread.get_by_label("Reply in thread").press("Enter")
    await expect(thread.locator("article.message", has_text="Thanks!")).to_be_visible()
    await expect(message(alices, "Who takes the release?").locator(".replies")).to_have_text(
        re.compile(r"2 replies")
    )
    await browsers.shot(alices, "thread")
    await thread.get_by_role("button", name="Close thread").click()
    await expect(thread).to_have_count(0)


async def test_reactions(browsers: Browsers, demo: DemoServer, alice: Person, bob: Person) -> None:
    channel, alices, bobs = await both_in_a_channel(browsers, demo, alice, bob, "reactions")
    await send(alices, channel.name, "Shipped!")
    await do_action(message(alices, "Shipped!"), "Add reaction")
    await alices.get_by_role("button", name=":tada:").click()

    bobs_pill = message(bobs, "Shipped!").locator("button.reaction[data-name=tada]")
    await expect(bobs_pill).to_contain_text("1")
    await expect(bobs_pill).to_have_attribute("aria-pressed", "false")
    await bobs_pill.click()  # he adds his
    await expect(bobs_pill).to_contain_text("2")
    await expect(bobs_pill).to_have_attribute("aria-pressed", "true")
    alices_pill = message(alices, "Shipped!").locator("button.reaction[data-name=tada]")
    await expect(alices_pill).to_contain_text("2")
    await browsers.shot(alices, "reactions")
    await alices_pill.click()  # she takes hers back
    await expect(bobs_pill).to_contain_text("1")
    await expect(alices_pill).to_have_attribute("aria-pressed", "false")


async def test_edit_and_delete_own_messages(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel, alices, bobs = await both_in_a_channel(browsers, demo, alice, bob, "edits")
    await send(alices, channel.name, "Meeting at 3pm")
    await send(bobs, channel.name, "Works for me")
    # Only her own messages can be edited or deleted by her.
    theirs = message(alices, "Works for me")
    await theirs.hover()
    await expect(theirs.get_by_role("button", name="Edit message")).to_have_count(0)
    await expect(theirs.get_by_role("button", name="Delete message")).to_have_count(0)

    await do_action(message(alices, "Meeting at 3pm"), "Edit message")
    editor = alices.get_by_label("Edit message", exact=True)
    await expect(editor).to_be_focused()  # with the cursor after the text, to type on
    await editor.fill("Meeting at 4pm")
    await editor.press("Enter")
    edited = message(bobs, "Meeting at 4pm")
    await expect(edited).to_be_visible()
    await expect(edited.locator(".edited")).to_be_visible()
    await expect(edited.locator(".text")).to_have_text("Meeting at 4pm")
    await expect(message(bobs, "Meeting at 3pm")).to_have_count(0)
    await browsers.shot(bobs, "edited")

    await do_action(message(alices, "Meeting at 4pm"), "Delete message")
    dialog = alices.get_by_role("dialog")
    await browsers.shot(alices, "confirm-delete")
    await dialog.get_by_role("button", name="Delete").click()
    await expect(message(bobs, "Meeting at 4pm")).to_have_count(0)
    await expect(message(alices, "Meeting at 4pm")).to_have_count(0)
    await expect(message(bobs, "Works for me")).to_be_visible()


async def test_scrolling_back_loads_older_messages(
    browsers: Browsers, demo: DemoServer, alice: Person
) -> None:
    channel = await shared_channel(alice, name="history")
    for number in range(1, 131):
        await alice.api.chat_postMessage(channel=channel.id, text=f"history line {number}")
    page = await browsers.signed_in(demo, alice)
    await open_channel(page, channel.name)
    await expect(message(page, "history line 130")).to_be_visible()
    oldest = message(page, re.compile(r"^history line 1$"))
    await expect(oldest).to_have_count(0)  # not loaded yet
    log = page.get_by_role("log", name="Messages", exact=True)
    for _ in range(20):
        if await oldest.count():
            break
        await log.evaluate("element => { element.scrollTop = 0 }")
        await page.wait_for_timeout(300)
    await expect(oldest).to_have_count(1)
    await expect(messages(page)).to_have_count(130)  # each once, none lost at page edges
    await browsers.shot(page, "scrolled-back")


# -- channels ------------------------------------------------------------------------------


async def test_create_find_join_and_leave_channels(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    alices = await browsers.signed_in(demo, alice)
    bobs = await browsers.signed_in(demo, bob)
    name = f"launch-{secrets.token_hex(3)}"
    await alices.get_by_role("button", name="Create a channel").click()
    dialog = alices.get_by_role("dialog", name="Create a channel")
    await dialog.get_by_label("Name").fill("engineering")
    await dialog.get_by_role("button", name="Create").click()
    await expect(dialog.get_by_role("alert")).not_to_be_empty()  # taken
    await dialog.get_by_label("Name").fill(name)
    await dialog.get_by_role("button", name="Create").click()
    await expect(conversation(alices, name)).to_have_attribute("aria-current", "page")
    await send(alices, name, "Welcome to the launch channel")

    # Bob finds it with the quick switcher, reads it, joins, writes, and leaves.
    await bobs.keyboard.press("Control+k")
    switcher = bobs.get_by_role("dialog", name="Quick switcher")
    await switcher.get_by_label("Jump to").fill(name)
    await expect(switcher.get_by_role("option").first).to_contain_text(name)
    await browsers.shot(bobs, "quick-switcher")
    await switcher.get_by_label("Jump to").press("Enter")
    await expect(switcher).to_have_count(0)
    await expect(message(bobs, "Welcome to the launch channel")).to_be_visible()
    await bobs.get_by_role("button", name="Join channel").click()
    await send(bobs, name, "Glad to be here")
    await expect(message(alices, "Glad to be here")).to_be_visible()
    await expect(conversation(bobs, name)).to_be_visible()
    await bobs.get_by_role("button", name="Leave channel").click()
    await expect(conversation(bobs, name)).to_have_count(0)

    # The switcher finds people too, and opens a DM with them.
    await bobs.keyboard.press("Control+k")
    await switcher.get_by_label("Jump to").fill("Alice Arch")
    await switcher.get_by_label("Jump to").press("Enter")
    await send_dm(bobs, "Alice Archer", "Quick question")
    await expect(conversation(alices, "Bob Baker")).to_be_visible()


async def send_dm(page: Page, name: str, text: str) -> None:
    box = page.get_by_label(f"Message {name}")
    await box.fill(text)
    await box.press("Enter")
    await expect(message(page, text)).to_be_visible()


# -- safety --------------------------------------------------------------------------------

ATTACKS = [
    '<img src=x onerror="window.pwned=1">',
    "<script>window.pwned=2</script>",
    '"><svg onload="window.pwned=3">',
]


async def test_html_in_names_topics_and_messages_renders_as_text(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="safety")
    await bob.api.conversations_setTopic(channel=channel.id, topic=ATTACKS[0])
    for attack in ATTACKS:  # raw, as any API client may send it
        await bob.api.chat_postMessage(channel=channel.id, text=attack)
    await bob.api.users_profile_set(profile={"display_name": ATTACKS[2]})
    try:
        await _injection_shows_as_text(browsers, demo, alice, channel)
    finally:
        await bob.api.users_profile_set(profile={"display_name": ""})


async def _injection_shows_as_text(
    browsers: Browsers, demo: DemoServer, alice: Person, channel: Channel
) -> None:
    page = await browsers.signed_in(demo, alice)
    await open_channel(page, channel.name)
    await send(page, channel.name, ATTACKS[1])  # and typed into the client
    for attack in ATTACKS:
        await expect(message(page, attack).first).to_be_visible()
    await expect(messages(page).filter(has_text=ATTACKS[1])).to_have_count(2)
    await expect(page.locator("main")).to_contain_text(ATTACKS[0])  # the topic
    await expect(message(page, ATTACKS[0]).last.locator(".author")).to_have_text(ATTACKS[2])
    await browsers.shot(page, "injection")
    assert await page.evaluate("window.pwned") is None
    log = page.get_by_role("log", name="Messages", exact=True)
    await expect(log.locator("img[src=x], script, svg[onload]")).to_have_count(0)
    # What the client sent was escaped the way Slack's clients escape it.
    history = await alice.api.conversations_history(channel=channel.id, limit=1)
    assert history["messages"][0]["text"] == "&lt;script&gt;window.pwned=2&lt;/script&gt;"


# -- reconnecting --------------------------------------------------------------------------


async def test_the_client_reconnects_after_a_restart_and_misses_nothing(
    browsers: Browsers, tmp_path: Path
) -> None:
    server = demo_server(tmp_path / "demo")
    try:
        alice = await server.person("alice", "Alice Archer")
        bob = await server.person("bob", "Bob Baker")
        channel = await shared_channel(alice, bob, name="restart")
        page = await browsers.signed_in(server, alice)
        await open_channel(page, channel.name)
        await bob.api.chat_postMessage(channel=channel.id, text="before the restart")
        await expect(message(page, "before the restart")).to_be_visible()

        server.stop()
        state = page.locator("#connection")
        await expect(state).not_to_have_attribute("data-state", "connected")
        await browsers.shot(page, "disconnected")
        server.start()
        # Sent as soon as the server is back, whether or not the page has reconnected yet.
        await bob.api.chat_postMessage(channel=channel.id, text="after the restart")
        await expect(state).to_have_attribute("data-state", "connected")
        await expect(message(page, "after the restart")).to_be_visible()
        await expect(message(page, "before the restart")).to_have_count(1)
        await send(page, channel.name, "still here")
        history = await bob.api.conversations_history(channel=channel.id, limit=1)
        assert history["messages"][0]["text"] == "still here"
        await browsers.shot(page, "reconnected")
    finally:
        server.stop()


async def test_the_client_resumes_after_losing_the_network(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="offline")
    page = await browsers.signed_in(demo, alice)
    await open_channel(page, channel.name)
    await page.context.set_offline(True)
    state = page.locator("#connection")
    await expect(state).not_to_have_attribute("data-state", "connected")
    for number in range(1, 4):  # while she is away
        await bob.api.chat_postMessage(channel=channel.id, text=f"missed {number}")
    await browsers.shot(page, "offline")
    await page.context.set_offline(False)
    await expect(state).to_have_attribute("data-state", "connected")
    for number in range(1, 4):
        await expect(message(page, f"missed {number}")).to_have_count(1)
    await expect(messages(page).locator(".text")).to_have_text(["missed 1", "missed 2", "missed 3"])


async def test_group_messages_reach_everyone_in_them(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    carol = await demo.person("carol", "Carol Chen")
    await alice.api.conversations_open(users=f"{bob.user_id},{carol.user_id}")
    alices = await browsers.signed_in(demo, alice)
    carols = await browsers.signed_in(demo, carol)
    await conversation(alices, "Bob Baker, Carol Chen").click()
    box = alices.get_by_label("Message Bob Baker, Carol Chen")
    await box.fill("Lunch at noon, you two?")
    await box.press("Enter")
    entry = conversation(carols, "Alice Archer, Bob Baker")
    await expect(entry.locator(".mentions")).to_have_text("1")  # every group DM message counts
    await entry.click()
    await expect(message(carols, "Lunch at noon, you two?")).to_be_visible()
    await browsers.shot(carols, "group-dm")


# -- keyboard and screen readers ------------------------------------------------------------

# Every control a screen reader lands on, without a name it could read out.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'button, a[href], input, textarea, select, [role=option], [tabindex]:not([tabindex="-1"])'
  )].filter(el => el.getClientRects().length > 0).filter(el => {
    const labelled = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label')
      || (labelled && document.getElementById(labelled)?.textContent)
      || [...(el.labels || [])].map(label => label.textContent).join('')
      || el.textContent || el.getAttribute('title') || el.getAttribute('placeholder');
    return !(name || '').trim();
  }).map(el => el.outerHTML.slice(0, 120))"""


async def test_keyboard_alone_finds_a_channel_and_posts(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="keys")
    page = await browsers.signed_in(demo, alice)
    await page.keyboard.press("Control+k")
    await page.keyboard.type(channel.name)
    await page.keyboard.press("Enter")
    await expect(conversation(page, channel.name)).to_have_attribute("aria-current", "page")
    composer = page.get_by_label(f"Message #{channel.name}")
    await expect(composer).to_be_focused()  # opening a conversation puts you in its composer
    await page.keyboard.type("typed without a mouse")
    await page.keyboard.press("Enter")
    posted = message(page, "typed without a mouse")
    await expect(posted).to_be_visible()
    # Back from the composer, the tab order reaches the newest message's actions.
    for _ in range(40):
        await page.keyboard.press("Shift+Tab")
        focused = await page.evaluate("document.activeElement.getAttribute('aria-label')")
        if focused == "Add reaction":
            break
    assert focused == "Add reaction"
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name=":eyes:")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("button", name=":eyes:")).to_have_count(0)
    await do_action(posted, "Reply in thread")  # with the thread panel open too
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    await browsers.shot(page, "keyboard")


async def test_a_new_photo_replaces_the_default_avatar_live(
    browsers: Browsers, demo: DemoServer, alice: Person, bob: Person
) -> None:
    channel = await shared_channel(alice, bob, name="photos")
    await bob.api.chat_postMessage(channel=channel.id, text="new headshot soon")
    # The server names its pictures by the address it knows itself by (127.0.0.1); the page
    # is opened at another one.
    page = await browsers.open(demo.url.replace("127.0.0.1", "localhost"))
    await sign_in(page, alice.email)
    await open_channel(page, channel.name)
    picture = message(page, "new headshot soon").locator("img.avatar")
    # His default avatar (his initials on his colour), through the page's own origin.
    await expect(picture).to_have_attribute("src", re.compile(r"^/avatars/default/\w+/BB\.svg$"))
    await expect(picture).to_have_js_property("naturalWidth", 512)
    await browsers.shot(page, "default")
    await bob.api.users_setPhoto(image=BytesIO(png(16, 16)))
    try:
        # After user_change, without a reload: the photo itself.
        await expect(picture).to_have_js_property("naturalWidth", 16)
        await browsers.shot(page, "photo")
    finally:
        await bob.api.users_deletePhoto()
    await expect(picture).to_have_js_property("naturalWidth", 512)
