"""An S3-compatible server for the blob store's tests: moto's server mode, from the `moto`
package (a test dependency in pyproject.toml), as its own process on a loopback port. It
speaks S3's REST protocol over HTTP (multipart uploads, ranges, copies, listings), so the
store's client library runs unchanged against it (docs/testing.md says why this one).
Never skipped: without moto the tests fail and say how to install it. Register the fixture
in a conftest with `from tests.support.s3 import s3_server  # noqa: F401`.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.daemon import Daemon

# moto checks no signature: any key pair will do, but one must be there for the client.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "backchannel-test", "AWS_SECRET_ACCESS_KEY": "not-a-secret"}


def moto_available() -> None:
    if importlib.util.find_spec("moto.server") is None or importlib.util.find_spec("flask") is None:
        raise RuntimeError(
            "moto's S3 server is not installed: pip install 'moto[server]' "
            "(a test dependency in pyproject.toml)"
        )


@dataclass
class S3Server(Daemon):
    """One moto server on a loopback port."""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        moto_available()
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.run("moto's S3 server", argv)

    def create_bucket(self) -> str:
        """A bucket no other test uses, made through S3's own CreateBucket request."""
        name = f"bc-{uuid.uuid4().hex[:16]}"
        httpx.put(f"{self.endpoint}/{name}").raise_for_status()
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()
