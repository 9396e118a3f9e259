"""Running the real `backchannel` command in a subprocess."""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "backchannel.cli.main"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")}


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        cwd=cwd,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The command failed with exactly one line on stderr, starting 'backchannel: error:'."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("backchannel: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


class RunningServer:
    """`backchannel serve` in a subprocess, with its output read line by line."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float = 120) -> str:
        """The first output line (from now on) that contains prefix."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                stderr = self.process.stderr.read() if self.process.stderr else ""
                raise AssertionError(f"server exited before {prefix!r}: {self.lines} {stderr}")
            self.lines.append(line)
            if prefix in line:
                return line
        raise AssertionError(f"no line with {prefix!r} within {timeout}s: {self.lines}")

    @property
    def url(self) -> str:
        banner = next(line for line in self.lines if " serving " in line)
        return banner.split(" serving ", 1)[1].strip()

    @property
    def edge_url(self) -> str:
        """The websocket URL of the banner's `  edge: ws://HOST:PORT (...)` line."""
        line = next(line for line in self.lines if line.startswith("  edge: "))
        return line.split()[1]

    def stop(self, signal_number: int) -> int:
        self.process.send_signal(signal_number)
        try:
            return self.process.wait(timeout=30)
        finally:
            for line in iter(lambda: self._queue.get(timeout=5), None):
                self.lines.append(line)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.close()

    def close(self) -> None:
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()


PROCESS_WAIT = 30.0  # generous: processes start, migrate, connect to NATS


class Processes:
    """`backchannel serve` processes, every one killed at the end whatever happens."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.running: list[tuple[tuple[str, ...], RunningServer]] = []

    def start(self, *args: str) -> RunningServer:
        server = RunningServer(*args, cwd=self.cwd)
        self.running.append((args, server))
        return server

    async def ready(self, server: RunningServer) -> None:
        """Until its banner is out, down to the `edge:` line when it runs an edge (roles all
        and edge): the edge has registered its URL by then."""
        args = next(args for args, running in self.running if running is server)
        await asyncio.to_thread(server.wait_for, " serving ", PROCESS_WAIT)
        if "webapp" not in args:
            await asyncio.to_thread(server.wait_for, "  edge: ", PROCESS_WAIT)

    async def started(self, *args: str) -> RunningServer:
        server = self.start(*args)
        await self.ready(server)
        return server

    def kill_all(self) -> None:
        """Kill them, and print what each wrote (pytest shows it when the test failed)."""
        for args, server in self.running:
            process = server.process
            if process.poll() is None:
                process.kill()
                process.wait()
            stderr = process.stderr
            errors = stderr.read() if stderr is not None and not stderr.closed else ""
            print(f"serve {' '.join(args)}: {server.lines}\n{errors}")
            server.close()
