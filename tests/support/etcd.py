"""A real etcd server for the topology tests, from Debian's etcd-server package (scripts/test
installs it). Never skipped: without the binary the tests fail and say how to install it.
Register the fixtures in a conftest with `from tests.support.etcd import etcd, etcd_topology`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.support.nats import free_port

START_TIMEOUT = 30.0


def etcd_binary() -> Path:
    found = shutil.which("etcd")
    if found is None:
        raise RuntimeError("the etcd binary is not installed: apt-get install etcd-server")
    return Path(found)


@dataclass
class EtcdServer:
    """One single-member etcd on loopback ports, with its data in a temporary directory."""

    binary: Path = field(default_factory=etcd_binary)
    port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bc-etcd-")))
    process: subprocess.Popen[bytes] | None = None

    def url(self, prefix: str) -> str:
        """A topology URL of its own under this server: etcd://127.0.0.1:PORT/prefix."""
        return f"etcd://127.0.0.1:{self.port}/{prefix}"

    def start(self) -> None:
        client = f"http://127.0.0.1:{self.port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        with (self.root / "etcd.log").open("wb") as log:  # the child keeps its own copy
            self.process = self._spawn(client, peer, log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"etcd did not start on port {self.port}: {self.log()}")

    def _spawn(self, client: str, peer: str, log: BinaryIO) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(self.binary),
                "--name=bc-test",
                f"--data-dir={self.root / 'data'}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=bc-test={peer}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        path = self.root / "etcd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def etcd() -> Iterator[EtcdServer]:
    server = EtcdServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def etcd_topology(etcd: EtcdServer) -> str:
    """A topology URL no other test uses (a prefix of its own on the session's etcd)."""
    return etcd.url(f"bc-{uuid.uuid4().hex[:12]}")
