"""`backchannel serve`: one process with every role (the default), or one role of several."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
from collections.abc import Iterator
from typing import Any

import click
import uvicorn
import uvloop

from backchannel import __version__
from backchannel.app import Backchannel, open_backchannel
from backchannel.cli.next_steps import first_steps
from backchannel.cli.options import build_settings, storage_options
from backchannel.config import ROLES, Settings
from backchannel.errors import ConfigError
from backchannel.logs import LOG_FORMATS, LOG_LEVELS, configure_logging
from backchannel.models import EdgeInfo
from backchannel.ops.demo import DemoInfo, ensure_demo
from backchannel.ops.deployment import refresh_statistics
from backchannel.storage.engines.engine import redact
from backchannel.webapp.serving import uvicorn_config

log = logging.getLogger("backchannel.serve")


class Server(uvicorn.Server):
    """uvicorn, minus its own signal handling: _serve owns SIGINT and SIGTERM from the start."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port to listen on (default 8000); role edge: its websocket port.",
)
@click.option("--demo", is_flag=True, help="Create (once) a demo organisation and sign-ins.")
@click.option(
    "--no-rate-limits",
    "rate_limits",
    flag_value=False,
    default=None,
    help="Turn Slack's per-method rate limits off (benchmarks, load tests).",
)
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="all (default): every role in one process; webapp: the Web API; edge: websockets.",
)
@click.option("--nats", "nats_url", default=None, help="The bus between processes: nats://...")
@click.option(
    "--edge-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Role all: the websocket port (default: --port + 1; 0 picks a free one).",
)
@click.option(
    "--ms-shard",
    "edge_ms_shards",
    multiple=True,
    help="A message-server shard this edge serves, once per shard (default: all).",
)
@click.option(
    "--edge-url", "edge_public_url", default=None, help="Where clients reach the edge (ws://...)."
)
@click.option(
    "--edge-heartbeat",
    "edge_heartbeat_seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds between the edge's heartbeats (default 2); 5 missed: it is not live.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="A proxy (address or network) whose X-Forwarded-For is believed, once per proxy.",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default=None,
    envvar="BACKCHANNEL_LOG_FORMAT",
    help="text (default): readable lines; json: one JSON object a line, on stderr.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    default=None,
    envvar="BACKCHANNEL_LOG_LEVEL",
    help="warning (default); info adds one line per API call and per socket.",
)
@storage_options
def serve(demo: bool, **options: Any) -> None:
    """Serve Backchannel: the Web API, the websockets, or both in one process."""
    options["edge_ms_shards"] = options["edge_ms_shards"] or None
    options["trusted_proxies"] = options["trusted_proxies"] or None
    settings = build_settings(**options)
    server = settings.server
    configure_logging(server.log_format, server.log_level)
    http_sock = _bind(server.host, server.port) if server.role != "edge" else None
    edge_sock = None
    try:
        if server.role != "webapp":
            edge_sock = _bind(server.host, _edge_port(settings))
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(settings, http_sock, edge_sock, demo=demo))
    finally:
        for sock in (http_sock, edge_sock):
            if sock is not None:
                sock.close()


def _edge_port(settings: Settings) -> int:
    server = settings.server
    if server.role == "edge":
        return server.port
    if server.edge_port is not None:
        return server.edge_port
    return server.port + 1 if server.port else 0


def _bind(host: str, port: int) -> socket.socket:
    """Bind before anything else, so a busy port is one clear line and nothing is created."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc.strerror}"
        raise ConfigError(f"port {port} on {host} {reason}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def _serve(
    settings: Settings,
    http_sock: socket.socket | None,
    edge_sock: socket.socket | None,
    *,
    demo: bool,
) -> None:
    # A signal during start-up (migrations, the demo) stops the server as soon as it is up.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    backchannel = await open_backchannel(settings, progress=lambda line: click.echo(line))
    try:
        # SQLite's planner knows nothing of the tables' sizes until told (PostgreSQL's
        # autovacuum tells its own): a data set loaded since the last start is then planned
        # well from the first request.
        await refresh_statistics(backchannel.ctx.router)
        # The edge, if any, is unregistered and stopped on leaving.
        async with contextlib.AsyncExitStack() as running:
            url = _url(settings, http_sock, "http")
            if http_sock is not None:
                # Known from here on, before the edge or the demo name it in avatar URLs.
                backchannel.ctx.public_url = url
                _print_banner(backchannel, url)
            elif edge_sock is not None and not settings.server.public_url:
                # An edge-only process names its own port in the avatar URLs of the boots
                # it makes: it serves the default avatars too (edge/pages.py).
                backchannel.ctx.public_url = _url(settings, edge_sock, "http")
            if edge_sock is not None:
                edge_url = settings.server.edge_public_url or _url(settings, edge_sock, "ws")
                _, me = await running.enter_async_context(
                    backchannel.running_edge(edge_sock, edge_url)
                )
                if http_sock is None:
                    _print_banner(backchannel, edge_url)
                _print_edge(backchannel, me)
            if demo and http_sock is not None:
                _print_demo(await ensure_demo(backchannel.ctx), url)
            elif http_sock is not None and not backchannel.ctx.router.shard_map.current.by_keyspace:
                click.echo("\n".join(first_steps(url)))
            # What start-up made lives as long as the process: out of the garbage collector's
            # sight, whose full collections otherwise walk it all, pausing every request.
            gc.freeze()
            log.info("serving", extra={"url": url or None, "role": settings.server.role})
            if http_sock is not None:
                await _serve_http(backchannel, http_sock, url, stop)
            else:
                async with backchannel.background(upkeep=False):
                    await stop.wait()
        log.info("stopped")
        click.echo("backchannel stopped")
    finally:
        await backchannel.close()


def _url(settings: Settings, sock: socket.socket | None, scheme: str) -> str:
    if sock is None:
        return ""
    host, port = sock.getsockname()[:2]
    if scheme == "http" and settings.server.public_url:
        return settings.server.public_url
    return f"{scheme}://{host}:{port}"


async def _serve_http(
    backchannel: Backchannel, sock: socket.socket, url: str, stop: asyncio.Event
) -> None:
    config = uvicorn_config(
        backchannel.asgi(base_url=url),
        backchannel.settings.server,
        loop="none",
        log_config=None,  # uvicorn's records go through logs.py like every other
    )
    server = Server(config)

    async def stop_on_signal() -> None:
        await stop.wait()
        server.should_exit = True

    stopper = asyncio.create_task(stop_on_signal())
    await server.serve(sockets=[sock])
    stopper.cancel()


def _print_banner(backchannel: Backchannel, url: str) -> None:
    storage = backchannel.settings.storage
    shard_map = backchannel.ctx.router.shard_map.current
    where = (
        f"SQLite in {storage.data_dir}"
        if storage.database_url is None
        else f"main DB {redact(storage.database_url)}"
    )
    click.echo(f"Backchannel {__version__} serving {url}")
    click.echo(
        f"  storage: {where}, {len(shard_map.db_shards)} shards, "
        f"{len(shard_map.ms_shards)} message-server shards"
    )


def _print_edge(backchannel: Backchannel, me: EdgeInfo) -> None:
    every = backchannel.ctx.router.shard_map.current.ms_shards
    served = every if me.ms_shards is None else sorted(me.ms_shards)
    click.echo(
        f"  edge: {me.url} (heartbeat every {me.heartbeat_seconds:g} s; "
        f"message-server shards {', '.join(served)})"
    )


def _print_demo(info: DemoInfo, url: str) -> None:
    state = "created" if info.created else "found"
    domains = ", ".join(w.domain for w in info.workspaces)
    click.echo(
        f"Demo {state}: workspaces {domains}"
        + (f", {info.messages} messages" if info.created else "")
    )
    click.echo(f"  open {url}/ in a browser and sign in with any of {', '.join(info.emails)}")
    click.echo(f"  password: {info.password}")
    click.echo(f"  try: curl -H 'Authorization: Bearer {info.token}' {url}/api/auth.test")
