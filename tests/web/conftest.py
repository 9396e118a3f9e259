"""The web client in a real browser: Debian's Chromium, headless, driven by Playwright,
against `backchannel serve --demo` running as its own process.

Screenshots go to test-artifacts/web/ (BACKCHANNEL_TEST_ARTIFACTS overrides): CI keeps
them, and a failing test leaves one of the moment it failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    WebSocket,
    async_playwright,
    expect,
)
from slack_sdk.web.async_client import AsyncWebClient

from backchannel_tools.bench.harness import ServerProcess, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("BACKCHANNEL_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
PASSWORD = "backchannel-demo"  # ops/demo.py
WAIT_MS = 15_000  # for what the page shows; generous, the machine is shared

expect.set_options(timeout=WAIT_MS)


@dataclass
class Person:
    name: str  # as the client shows them
    email: str
    user_id: str
    api: AsyncWebClient  # the same person through Slack's SDK, on a browser session


@dataclass
class DemoServer:
    """`serve --demo` on fixed free ports, so a restart comes back at the same address."""

    data_dir: Path
    port: int
    edge_port: int
    process: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = ServerProcess(
            self.data_dir, "--demo", "--port", str(self.port), "--edge-port", str(self.edge_port)
        )
        self.process.wait_for_line("  edge: ")
        self.process.wait_for_line("  password: ")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    async def person(self, first_name: str, full_name: str, domain: str = "acme") -> Person:
        """Signed in as a browser would be: xoxc token plus its `d` cookie, in the person's
        first workspace."""
        return await self.signed_in(f"{first_name}@{domain}.example", full_name)

    async def new_person(self, full_name: str) -> Person:
        """Someone who joins acme now (`admin create-user` beside the running server), so no
        page booted before has been sent them."""
        email = f"{full_name.lower().replace(' ', '.')}@acme.example"
        made = ["--workspace", "acme", "--email", email, "--name", full_name]
        options = ["--password", PASSWORD, "--data-dir", str(self.data_dir)]
        await asyncio.to_thread(run_cli, "admin", "create-user", *made, *options)
        return await self.signed_in(email, full_name)

    async def signed_in(self, email: str, full_name: str) -> Person:
        async with httpx.AsyncClient(base_url=self.url) as http:
            reply = await http.post("/auth/signin", json={"email": email, "password": PASSWORD})
        body = reply.json()
        assert body["ok"] is True, body
        api = AsyncWebClient(
            token=body["token"],
            base_url=f"{self.url}/api/",
            headers={"Cookie": f"d={reply.cookies['d']}"},
        )
        return Person(full_name, email, body["user_id"], api)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def demo_server(data_dir: Path) -> DemoServer:
    port, edge_port = free_ports(2)
    server = DemoServer(data_dir, port, edge_port)
    server.start()
    return server


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """One demo deployment for the tests that do not restart it."""
    server = demo_server(tmp_path_factory.mktemp("web-demo"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def alice(demo: DemoServer) -> Person:
    return await demo.person("alice", "Alice Archer")


@pytest.fixture
async def bob(demo: DemoServer) -> Person:
    return await demo.person("bob", "Bob Baker")


@pytest.fixture
async def frank(demo: DemoServer) -> Person:
    """Of Acme Labs, and in HQ's #engineering, which is shared with Labs."""
    return await demo.person("frank", "Frank Fischer", domain="acme-labs")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
            "(scripts/test installs it)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    return ARTEFACTS


@dataclass
class Traffic:
    """What one page said to the server: the Web API methods it called, in order, and the
    JSON frames its sockets sent and received."""

    methods: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("request", self._request)
        page.on("websocket", self._socket)

    def _request(self, request: Request) -> None:
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            self.methods.append(path.removeprefix("/api/"))

    def _socket(self, socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: _keep(self.sent, payload))
        socket.on("framereceived", lambda payload: _keep(self.received, payload))

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.sent if frame.get("type") == kind]

    def replies_to(self, kind: str) -> list[dict[str, Any]]:
        """The replies to the requests of this type the page sent."""
        ids = {frame.get("id") for frame in self.sent_of(kind)}
        return [frame for frame in self.received if frame.get("reply_to", "") in ids]


def _keep(frames: list[dict[str, Any]], payload: str | bytes) -> None:
    frame = json.loads(payload)
    if isinstance(frame, dict):
        frames.append(frame)


class Browsers:
    """The browser windows of one test; each fails the test on a page error."""

    def __init__(self, browser: Browser, artefacts: Path, test_name: str) -> None:
        self.browser = browser
        self.artefacts = artefacts
        self.prefix = re.sub(r"[^\w.-]+", "_", test_name)
        self.contexts: list[BrowserContext] = []
        self.pages: list[Page] = []
        self.traffic: dict[Page, Traffic] = {}
        self.errors: list[str] = []

    async def open(self, url: str) -> Page:
        """A page in a browser of its own."""
        context = await self.browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        return await self._page(context, url)

    async def another_tab(self, page: Page) -> Page:
        """A second page of `page`'s browser: the same cookies and localStorage."""
        return await self._page(page.context, page.url)

    async def _page(self, context: BrowserContext, url: str) -> Page:
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.pages.append(page)
        self.traffic[page] = Traffic()
        self.traffic[page].watch(page)
        await page.goto(url)
        return page

    async def signed_in(self, server: DemoServer, person: Person) -> Page:
        page = await self.open(server.url)
        await sign_in(page, person.email)
        return page

    async def shot(self, page: Page, name: str) -> None:
        await page.screenshot(path=self.artefacts / f"{self.prefix}-{name}.png")

    async def close(self, failed: bool) -> None:
        for number, page in enumerate(self.pages):
            if failed and not page.is_closed():
                await self.shot(page, f"failed-{number}")
        for context in self.contexts:
            await context.close()


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    form = page.get_by_role("form", name="Sign in")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(password)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#app")).to_have_attribute("data-state", "signed-in")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


@pytest.fixture
async def browsers(
    browser: Browser, artefacts: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Browsers]:
    windows = Browsers(browser, artefacts, request.node.name)
    try:
        yield windows
    finally:
        report = getattr(request.node, "rep_call", None)
        await windows.close(failed=report is None or report.failed)
    assert not windows.errors, windows.errors


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures know whether it failed."""
    report: pytest.TestReport = yield
    setattr(item, f"rep_{report.when}", report)
    return report
