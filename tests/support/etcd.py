"""A real etcd server for the topology tests, from Debian's etcd-server package (scripts/test
installs it). Never skipped: without the binary the tests fail and say how to install it.
Register the fixtures in a conftest with `from tests.support.etcd import etcd, etcd_topology`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.daemon import Daemon
from tests.support.nats import free_port


def etcd_binary() -> Path:
    found = shutil.which("etcd")
    if found is None:
        raise RuntimeError("the etcd binary is not installed: apt-get install etcd-server")
    return Path(found)


@dataclass
class EtcdServer(Daemon):
    """One single-member etcd on loopback ports, with its data in a temporary directory."""

    binary: Path = field(default_factory=etcd_binary)
    peer_port: int = field(default_factory=free_port)

    def url(self, prefix: str) -> str:
        """A topology URL of its own under this server: etcd://127.0.0.1:PORT/prefix."""
        return f"etcd://127.0.0.1:{self.port}/{prefix}"

    def start(self) -> None:
        client = f"http://127.0.0.1:{self.port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.run(
            "etcd",
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
        )


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
