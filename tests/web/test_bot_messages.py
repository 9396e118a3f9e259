"""A bot's message in the browser: posted under a name and icon of its own (chat.postMessage's
`username` and `icon_emoji`, Slack's chat:write.customize), it shows them, live and in the
history (docs/web-client.md)."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect
from slack_sdk.web.async_client import AsyncWebClient

from backchannel_tools.bench.harness import run_cli
from tests.web.conftest import Browsers, DemoServer, Person
from tests.web.test_client import message, open_channel, shared_channel


async def test_a_bot_message_shows_the_name_and_icon_it_was_posted_with(
    browsers: Browsers, demo: DemoServer, alice: Person
) -> None:
    channel = await shared_channel(alice, name="bots")
    made = await asyncio.to_thread(
        run_cli, "admin", "create-bot", "--workspace", "acme", "--name", "Builder",
        "--data-dir", str(demo.data_dir),
    )  # fmt: skip
    await alice.api.conversations_invite(channel=channel.id, users=made["id"])
    bot = AsyncWebClient(token=made["token"], base_url=f"{demo.url}/api/")
    page = await browsers.signed_in(demo, alice)
    await open_channel(page, channel.name)

    await bot.chat_postMessage(
        channel=channel.id, text="build 42 is green", username="CI", icon_emoji=":rocket:"
    )
    await bot.chat_postMessage(channel=channel.id, text="as myself")
    for _ in range(2):  # live, then from the history after a reload
        customised = message(page, "build 42 is green")
        await expect(customised.locator(".author")).to_have_text("CI")
        await expect(customised.locator(".avatar")).to_have_text("🚀")
        await expect(message(page, "as myself").locator(".author")).to_have_text("Builder")
        await browsers.shot(page, "bot-name-and-icon")
        await page.reload()
