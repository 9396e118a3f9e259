"""A real uvicorn server on a loopback port, inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from backchannel.app import Backchannel
from backchannel.cli.serve import Server
from backchannel.webapp.serving import uvicorn_config


@asynccontextmanager
async def live_server(backchannel: Backchannel) -> AsyncIterator[str]:
    """Serve the app on a free port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn_config(backchannel.asgi(base_url=url), backchannel.settings.server)
    server = Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        await task
        sock.close()
