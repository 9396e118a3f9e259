"""`backchannel serve`: one process with every role, on embedded storage by default."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
from collections.abc import Iterator
from typing import Any

import click
import uvicorn
import uvloop

from backchannel import __version__
from backchannel.app import Backchannel, open_backchannel
from backchannel.cli.options import build_settings, storage_options
from backchannel.config import Settings
from backchannel.errors import ConfigError
from backchannel.services.demo import DemoInfo, ensure_demo
from backchannel.storage.engine import redact


class Server(uvicorn.Server):
    """uvicorn, minus its own signal handling: _serve owns SIGINT and SIGTERM from the start."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port to listen on (default 8000)."
)
@click.option("--demo", is_flag=True, help="Create (once) a demo organisation and sign-ins.")
@click.option(
    "--no-rate-limits",
    "rate_limits",
    flag_value=False,
    default=None,
    help="Turn Slack's per-method rate limits off (benchmarks, load tests).",
)
@storage_options
def serve(demo: bool, **options: Any) -> None:
    """Serve the Web API on one process."""
    settings = build_settings(**options)
    sock = _bind(settings)
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(settings, sock, demo=demo))
    finally:
        sock.close()


def _bind(settings: Settings) -> socket.socket:
    """Bind before anything else, so a busy port is one clear line and nothing is created."""
    host, port = settings.server.host, settings.server.port
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


async def _serve(settings: Settings, sock: socket.socket, *, demo: bool) -> None:
    # A signal during start-up (migrations, the demo) stops the server as soon as it is up.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    backchannel = await open_backchannel(settings, progress=lambda line: click.echo(line))
    try:
        host, port = sock.getsockname()[:2]
        url = settings.server.public_url or f"http://{host}:{port}"
        _print_banner(backchannel, url)
        if demo:
            _print_demo(await ensure_demo(backchannel.ctx), url)
        config = uvicorn.Config(
            backchannel.asgi(base_url=url),
            loop="none",
            http="httptools",
            ws="none",
            lifespan="on",
            access_log=False,  # query strings may carry tokens: never log them
            log_level="warning",
        )
        server = Server(config)

        async def stop_on_signal() -> None:
            await stop.wait()
            server.should_exit = True

        stopper = asyncio.create_task(stop_on_signal())
        await server.serve(sockets=[sock])
        stopper.cancel()
        click.echo("backchannel stopped")
    finally:
        await backchannel.close()


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


def _print_demo(info: DemoInfo, url: str) -> None:
    state = "created" if info.created else "found"
    domains = ", ".join(w.domain for w in info.workspaces)
    click.echo(
        f"Demo {state}: workspaces {domains}"
        + (f", {info.messages} messages" if info.created else "")
    )
    click.echo(f"  sign in with any of {', '.join(info.emails)}")
    click.echo(f"  password: {info.password}")
    click.echo(f"  try: curl -H 'Authorization: Bearer {info.token}' {url}/api/auth.test")
