"""Pieces every benchmark shares: a server in a subprocess, timed request loops, tables."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from backchannel.errors import BackchannelError

COMMAND = [sys.executable, "-m", "backchannel.cli.main"]


def run_cli(*args: str) -> dict[str, Any]:
    """One admin command with --json; its JSON reply."""
    result = subprocess.run([*COMMAND, *args, "--json"], capture_output=True, text=True, env=_env())
    if result.returncode != 0:
        raise BackchannelError(f"benchmark set-up failed: {result.stderr.strip()}")
    return dict(json.loads(result.stdout))


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")}


class ServerProcess:
    """`backchannel serve` on a free loopback port, rate limits off."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.process = subprocess.Popen(
            [
                *COMMAND,
                "serve",
                "--port",
                "0",
                "--no-rate-limits",
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        # Read both pipes all along, so a chatty server never blocks on a full pipe.
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.url = self.wait_for_line(" serving ").split(" serving ", 1)[1].strip()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        try:
            for line in stream:
                self.stderr_tail.append(line.rstrip())
        except (ValueError, OSError):  # closed by stop()
            return

    def wait_for_line(self, part: str, timeout: float = 60.0) -> str:
        """The next line of the server's output that contains `part`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if part in line:
                return line.strip()
        self.stop()
        said = " ".join(self.stderr_tail)
        raise BackchannelError(f"the benchmark server did not print {part.strip()!r}: {said}")

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM, a kill after 30 s, and the pipes closed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@dataclass
class Result:
    name: str
    concurrency: int
    latencies: list[float]  # seconds, one per successful request
    elapsed: float
    errors: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def as_row(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "clients": self.concurrency,
            "requests": len(self.latencies),
            "errors": self.errors,
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else 0,
        }


Call = Callable[[aiohttp.ClientSession, int], Awaitable[bool]]


async def measure(name: str, call: Call, *, concurrency: int, duration: float) -> Result:
    """Run `call` from `concurrency` clients (one connection each) for `duration` seconds."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration

    async def client(number: int) -> None:
        nonlocal errors
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as session:
            sequence = 0
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                succeeded = await call(session, number * 1_000_000 + sequence)
                if succeeded:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                sequence += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return Result(name, concurrency, latencies, time.perf_counter() - started, errors)
