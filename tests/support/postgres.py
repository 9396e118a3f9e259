"""A throwaway PostgreSQL cluster for the tests, started from the machine's own binaries.

Never skipped: a test that needs PostgreSQL fails with a clear message when the server
binaries are missing (`.ci/run` installs them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
        "apt-get install postgresql (see .ci/run)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresCluster:
    """One postgres server on a free loopback port; databases are made per test."""

    bindir: Path = field(default_factory=_bindir)
    port: int = field(default_factory=_free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bc-pg-")))
    durable: bool = False  # fsync: for tests that crash the server and start it again

    def __post_init__(self) -> None:
        self.databases: list[str] = []  # made by create_database, not dropped yet
        self._as_user: Callable[[], None] | None = None
        if os.geteuid() == 0:  # postgres refuses to run as root
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)

            def drop_privileges() -> None:
                os.setgid(account.pw_gid)
                os.setuid(account.pw_uid)

            self._as_user = drop_privileges

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            preexec_fn=self._as_user,
            capture_output=True,
            text=True,
            cwd=self.root,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}"
            )

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.resume()

    def resume(self) -> None:
        """Start the server on its existing data (after `halt`), on the same port."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        )
        if not self.durable:  # fast, but what it acknowledged does not survive a crash
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def halt(self) -> None:
        """Stop the server at once, as a crash would, keeping its data (see `resume`)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            self.halt()
        except RuntimeError:
            if self.running:  # a server that was halted already has nothing to stop
                raise
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "bc") -> str:
        """A new, empty database; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.sql(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)

    def drop_databases(self) -> None:
        """Drop the databases create_database made, whoever is still connected. The session's
        cluster does it after each test: kept, a test's three databases add 25 MB and 1,000
        files, and removing them all at the end of a session took most of a minute."""
        while self.databases:
            self.sql(f'DROP DATABASE IF EXISTS "{self.databases.pop()}" WITH (FORCE)')

    def sql(self, statement: str) -> str:
        """Run one statement as the superuser on the `postgres` database; its output."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-A",
                "-t",
                "-c",
                statement,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{statement} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def start_replica(self) -> PostgresCluster:
        """A streaming replica of this server on a port of its own, cloned with
        `pg_basebackup -R` (which writes its standby.signal and primary_conninfo) and
        started like this one. Replication uses the defaults of PostgreSQL 10 and later
        (`wal_level=replica`, `max_wal_senders=10`) and initdb's pg_hba, which trusts
        replication connections on loopback here (`-A trust`).

        This server then commits synchronously (`synchronous_standby_names = '*'`): a
        commit is acknowledged only once the replica has it on disk, so promoting the
        replica loses no acknowledged write. That needs `synchronous_commit` on, so only
        a durable cluster can have a replica."""
        if not self.durable:
            raise RuntimeError("only PostgresCluster(durable=True) can have a replica")
        replica = PostgresCluster(bindir=self.bindir, durable=True)
        replica._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
            *("-D", str(replica.datadir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
        )
        replica.resume()
        # Set after the cloning, so that the replica does not inherit it.
        self.reconfigure("synchronous_standby_names", "*")
        streaming = "SELECT count(*) FROM pg_stat_replication"
        _until(lambda: self.sql(streaming) == "1", "the replica streaming")
        return replica

    def reconfigure(self, name: str, value: str | None) -> None:
        """ALTER SYSTEM SET a setting (RESET it, for None) and wait until sessions see it."""
        if value is None:
            self.sql(f"ALTER SYSTEM RESET {name}")
        else:
            self.sql(f"ALTER SYSTEM SET {name} = '{value}'")
        self.sql("SELECT pg_reload_conf()")
        _until(lambda: self.sql(f"SHOW {name}") == (value or ""), f"{name} = {value!r}")


def _until(done: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {timeout} s")
        time.sleep(0.05)
