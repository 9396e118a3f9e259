"""What a client can make the server hold: a body past the limit is refused without being
read, and a connection whose request headers never end is closed (docs/webapp.md,
Requests). Raw sockets, so the test sends exactly the bytes it means to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from backchannel.app import Backchannel
from backchannel.config import ServerSettings
from backchannel.services import ServiceContext
from backchannel.services.messaging import webhooks
from backchannel.webapp.params import MAX_BODY, MAX_MULTIPART_BODY
from tests.conftest import Acme
from tests.support.rtm import live_edge
from tests.support.server import live_server

WAIT = 30.0  # generous: what is awaited happens at once, or after a short timeout
SHORT_TIMEOUT = 2.0  # the header timeout these tests' servers are given
CHUNK = b"x" * 65_536


@pytest.fixture
async def impatient(deployment: Backchannel, acme: Acme) -> Backchannel:
    """The deployment, with a short header timeout."""
    server = ServerSettings(rate_limits=False, header_timeout_seconds=SHORT_TIMEOUT)
    return Backchannel(replace(deployment.settings, server=server), deployment.ctx, None)


@pytest.fixture
async def impatient_server(impatient: Backchannel) -> AsyncIterator[str]:
    async with live_server(impatient) as url:
        yield url


@asynccontextmanager
async def _connection(url: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A raw connection to the server, closed at the end whatever happened."""
    where = urlsplit(url)
    assert where.hostname is not None and where.port is not None
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    try:
        yield reader, writer
    finally:
        writer.close()


def _head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: backchannel.test"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """The server's reply: its status, headers and body (read up to Content-Length)."""
    async with asyncio.timeout(WAIT):
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin1")
        status_line, *lines = head.strip().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Does the server close the connection (reading what it may still send)?"""
    async with asyncio.timeout(WAIT):
        while await reader.read(65_536):
            pass
    return True


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/api/api.test", "application/x-www-form-urlencoded", MAX_BODY),
        ("/api/auth.test", "application/json", MAX_BODY),
        ("/auth/signin", "application/json", MAX_BODY),
        ("/api/users.setPhoto", "multipart/form-data; boundary=b", MAX_MULTIPART_BODY),
    ],
)
async def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    server: str, path: str, content_type: str, limit: int
) -> None:
    """400 MB announced, nothing sent: the answer comes at once, and the connection
    closes (the rest would only be thrown away)."""
    async with _connection(server) as (reader, writer):
        writer.write(_head(path, Content_Type=content_type, Content_Length=str(400_000_000)))
        status, headers, body = await _answer(reader)
        assert status == 413 and headers["connection"] == "close"
        reply = orjson.loads(body)
        assert (reply["ok"], reply["error"]) == (False, "request_too_large")
        assert reply["response_metadata"]["messages"] == [
            f"[ERROR] the request body is over {limit} bytes"
        ]
        assert await _closed(reader)


async def test_a_chunked_body_is_read_only_up_to_the_limit(server: str) -> None:
    """No length declared: the server stops reading once the body passes the limit and
    answers, while the client is still sending (it never finishes here)."""
    async with _connection(server) as (reader, writer):
        writer.write(
            _head(
                "/api/api.test",
                Content_Type="application/x-www-form-urlencoded",
                Transfer_Encoding="chunked",
            )
        )
        for _ in range(MAX_BODY // len(CHUNK) + 1):  # just past the limit: all of it is read
            writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            await writer.drain()
        status, headers, body = await _answer(reader)
        assert status == 413 and orjson.loads(body)["error"] == "request_too_large"
        assert headers["connection"] == "close"


async def test_a_client_that_sent_a_little_too_much_reads_the_refusal(server: str) -> None:
    """A message of a few megabytes, sent whole by an ordinary client: the server throws
    the rest away instead of resetting the connection, so the client gets Slack's error
    rather than a broken connection."""
    async with httpx.AsyncClient() as http:
        reply = await http.post(
            f"{server}/api/chat.postMessage", data={"channel": "C1", "text": "x" * 7 * MAX_BODY}
        )
    assert (reply.status_code, reply.json()["error"]) == (413, "request_too_large")


async def test_a_webhook_body_over_the_limit_is_refused_before_it_is_read(
    server: str, ctx: ServiceContext, acme: Acme
) -> None:
    hook = await webhooks.create_webhook(ctx, workspace="acme", channel="#general")
    async with _connection(server) as (reader, writer):
        path = urlsplit(hook.url(server)).path
        writer.write(_head(path, Content_Type="application/json", Content_Length="400000000"))
        status, headers, body = await _answer(reader)
        assert (status, body, headers["connection"]) == (413, b"request_too_large", "close")


async def test_a_request_whose_headers_never_end_is_closed(impatient_server: str) -> None:
    async with _connection(impatient_server) as (reader, writer):
        writer.write(b"POST /api/api.test HT")  # half a request line, then nothing
        assert await _closed(reader)


async def test_a_connection_that_sends_nothing_is_closed(impatient_server: str) -> None:
    async with _connection(impatient_server) as (reader, _):
        assert await _closed(reader)


async def test_a_slow_request_within_the_timeout_is_served(impatient_server: str) -> None:
    async with _connection(impatient_server) as (reader, writer):
        request = (
            _head("/api/api.test", Content_Type="application/json", Content_Length="2") + b"{}"
        )
        for start in range(0, len(request), 20):
            writer.write(request[start : start + 20])
            await writer.drain()
            await asyncio.sleep(SHORT_TIMEOUT / 50)  # a pause well within the timeout
        status, _, body = await _answer(reader)
        assert (status, orjson.loads(body)) == (200, {"ok": True})


async def test_the_edge_closes_a_socket_whose_handshake_never_ends(impatient: Backchannel) -> None:
    """The edge's opening handshake has the same timeout (websockets' open_timeout)."""
    async with live_edge(impatient) as url, _connection(url) as (reader, writer):
        writer.write(b"GET /?ticket=T")
        assert await _closed(reader)
