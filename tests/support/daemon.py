"""A server the tests start as a process of its own (etcd, the S3-compatible server): on a
loopback port, its output in a log file in a temporary directory that goes with it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.nats import free_port

START_TIMEOUT = 30.0


@dataclass
class Daemon:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bc-daemon-")))
    process: subprocess.Popen[bytes] | None = None

    def run(self, what: str, argv: list[str]) -> None:
        """Start `argv` and return once it accepts connections on the port."""
        with (self.root / "server.log").open("wb") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{what} did not start on port {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
