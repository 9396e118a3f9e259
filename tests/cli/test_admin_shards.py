"""`backchannel admin shards` and `admin add-shard` through the real command, on SQLite and
PostgreSQL: sizes and replication, a shard that is down, a shard added and used, and every
refusal one clear line that leaves the topology as it was."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from backchannel.storage import migrate
from backchannel.storage.engines.connection import Engines
from backchannel.storage.engines.engine import create_engines, parse_database_url
from tests.cli.conftest import PASSWORD
from tests.support.cli import assert_one_line_error, run_cli
from tests.support.postgres import PostgresCluster

T = TypeVar("T")


def _json(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _workspace(domain: str, storage_args: list[str]) -> None:
    made = run_cli("admin", "create-workspace", "--name", domain, "--domain", domain, *storage_args)
    assert made.returncode == 0, made.stderr


def _placed(report: dict) -> dict[str, list[str]]:
    return {s["name"]: [w["domain"] for w in s["workspaces"]] for s in report["db_shards"]}


def _existing(storage_args: list[str]) -> list[str]:
    """The flags without `--shards N`, which must match the count once a shard is added."""
    if "--shards" not in storage_args:
        return storage_args
    at = storage_args.index("--shards")
    return storage_args[:at] + storage_args[at + 2 :]


def _data_dir(storage_args: list[str]) -> Path:
    return Path(storage_args[storage_args.index("--data-dir") + 1])


def _on(url: str, base_dir: Path, work: Callable[[Engines], Awaitable[T]]) -> T:
    """Do `work` on a database, outside Backchannel."""

    async def run() -> T:
        engines = create_engines(parse_database_url(url, base_dir=base_dir))
        try:
            return await work(engines)
        finally:
            await engines.dispose()

    return asyncio.run(run())


def _sql(url: str, base_dir: Path, statement: str) -> None:
    async def execute(engines: Engines) -> None:
        async with engines.write() as conn:
            await conn.exec_driver_sql(statement)

    _on(url, base_dir, execute)


def _upgrade(url: str, base_dir: Path) -> None:
    _on(url, base_dir, lambda engines: migrate.upgrade(engines, "shard"))


@pytest.fixture
def spare_url(storage_args: list[str], request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database beside the deployment's, for a new shard."""
    if "--data-dir" in storage_args:
        return "sqlite:///spare.sqlite3"  # relative: under the data dir, as the others
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database("spare").replace("postgres@", f"postgres:{PASSWORD}@")


def test_shards_shows_size_and_replication_of_each_shard(storage_args: list[str]) -> None:
    _workspace("acme", storage_args)
    report = _json("admin", "shards", *storage_args)
    for shard in report["db_shards"]:
        assert shard["available"] is True and shard["error"] is None
        assert shard["size_bytes"] > 0
        assert shard["replication"] is None and shard["replica_url"] is None
    assert _placed(report) == {"shard-0": ["acme"], "shard-1": []}

    table = run_cli("admin", "shards", *storage_args)
    assert table.returncode == 0, table.stderr
    assert "kB" in table.stdout or "MB" in table.stdout
    assert "unavailable" not in table.stdout and PASSWORD not in table.stdout


def test_a_shard_added_takes_the_next_workspace(storage_args: list[str], spare_url: str) -> None:
    _workspace("north", storage_args)
    _workspace("south", storage_args)
    before = _json("admin", "shards", *storage_args)["version"]

    added = run_cli("admin", "add-shard", spare_url, *storage_args)
    assert added.returncode == 0, added.stderr
    head = migrate.head_revision("shard")
    assert f"migrated shard shard-2: empty -> {head}" in added.stdout
    assert "added shard shard-2" in added.stdout and PASSWORD not in added.stdout

    storage_args = _existing(storage_args)
    _workspace("east", storage_args)  # the least-loaded shard is the new, empty one
    report = _json("admin", "shards", *storage_args)
    assert _placed(report) == {"shard-0": ["north"], "shard-1": ["south"], "shard-2": ["east"]}
    assert report["version"] > before
    assert PASSWORD not in json.dumps(report)


def test_add_shard_names_it_and_reports_json(tmp_path: Path) -> None:
    storage_args = ["--data-dir", str(tmp_path / "data")]
    assert run_cli("db", "migrate", *storage_args, "--shards", "1").returncode == 0
    made = _json("admin", "add-shard", "sqlite:///extra.sqlite3", "--name", "big-1", *storage_args)
    assert made == {"name": "big-1", "url": "sqlite:///extra.sqlite3"}
    again = _json("admin", "add-shard", "sqlite:///more.sqlite3", *storage_args)
    assert again["name"] == "shard-1"  # the next shard-N, whatever other names there are
    revision = _on("sqlite:///more.sqlite3", tmp_path / "data", migrate.current_revision)
    assert revision == migrate.head_revision("shard")


def _refused(storage_args: list[str], url: str, *fragments: str, name: str | None = None) -> None:
    named = ["--name", name] if name else []
    result = run_cli("admin", "add-shard", url, *named, *storage_args)
    assert PASSWORD not in assert_one_line_error(result, *fragments)


def _topology(storage_args: list[str]) -> tuple[int, list[tuple[str, str]]]:
    report = _json("admin", "shards", *storage_args)
    return report["version"], [(s["name"], s["url"]) for s in report["db_shards"]]


def test_add_shard_refuses_a_bad_url_or_name_before_touching_anything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    storage_args = ["--data-dir", str(data)]
    assert run_cli("db", "migrate", *storage_args, "--shards", "2").returncode == 0
    before = _topology(storage_args)
    spare = "sqlite:///spare.sqlite3"

    _refused(storage_args, "mysql://root@localhost/x", "bad database URL")
    _refused(storage_args, "::nonsense::", "bad database URL")
    _refused(storage_args, spare, "bad shard name 'Big Shard'", name="Big Shard")
    _refused(storage_args, spare, "there is already a shard named shard-1", name="shard-1")
    assert not (data / "spare.sqlite3").exists()
    assert _topology(storage_args) == before


def test_add_shard_refuses_a_database_in_use_unreachable_or_not_empty(
    storage_args: list[str], spare_url: str, tmp_path: Path
) -> None:
    _workspace("acme", storage_args)  # on shard-0; shard-1 stays empty
    before = _topology(storage_args)
    sqlite = "--data-dir" in storage_args
    base_dir = _data_dir(storage_args) if sqlite else tmp_path
    shard_0 = "sqlite:///shard-0.sqlite3" if sqlite else storage_args[3]
    main = "sqlite:///main.sqlite3" if sqlite else storage_args[1]

    _refused(storage_args, shard_0, "is already shard shard-0's database")
    _refused(storage_args, main, "is the main database")
    _refused(storage_args, _unreachable(sqlite), "cannot open shard shard-2")
    alias = _alias_of_shard_1(storage_args)
    _refused(storage_args, alias, "is already shard shard-1's database, or a copy of it")

    _sql(spare_url, base_dir, "CREATE TABLE notes (body TEXT)")
    _refused(storage_args, spare_url, "is not empty (tables notes)", "give an empty database")
    _sql(spare_url, base_dir, "DROP TABLE notes")
    _upgrade(spare_url, base_dir)
    _sql(spare_url, base_dir, "INSERT INTO relay_positions VALUES ('x', 'e', 1)")
    _refused(storage_args, spare_url, "already holds Backchannel data (rows in relay_positions)")

    assert _topology(storage_args) == before


def test_a_database_left_migrated_by_a_failed_add_shard_is_taken(tmp_path: Path) -> None:
    """Resuming: a database with the shard schema and no rows is what an add-shard that
    stopped before recording it leaves behind."""
    storage_args = ["--data-dir", str(tmp_path / "data")]
    assert run_cli("db", "migrate", *storage_args, "--shards", "1").returncode == 0
    _upgrade("sqlite:///left.sqlite3", tmp_path / "data")
    added = run_cli("admin", "add-shard", "sqlite:///left.sqlite3", *storage_args)
    assert added.returncode == 0, added.stderr
    assert "migrated" not in added.stdout  # already at head: nothing to do


def _alias_of_shard_1(storage_args: list[str]) -> str:
    """Another name for shard-1's database (which holds no workspace yet): a hard link to
    its file, or its server under another host name."""
    if "--data-dir" in storage_args:
        data = _data_dir(storage_args)
        (data / "alias.sqlite3").hardlink_to(data / "shard-1.sqlite3")
        return "sqlite:///alias.sqlite3"
    return storage_args[5].replace("@127.0.0.1:", "@localhost:")


def _unreachable(sqlite: bool) -> str:
    if sqlite:
        return "sqlite:////nonexistent-directory/shard.sqlite3"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/shard"


def test_a_missing_sqlite_shard_is_listed_unavailable_and_not_recreated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    storage_args = ["--data-dir", str(data), "--shards", "2"]
    _workspace("acme", storage_args)
    (data / "shard-1.sqlite3").rename(tmp_path / "away.sqlite3")

    report = _json("admin", "shards", *storage_args)
    shard_0, shard_1 = report["db_shards"]
    assert shard_0["available"] is True and shard_0["size_bytes"] > 0
    assert shard_1["available"] is False and shard_1["size_bytes"] is None
    assert shard_1["error"] == f"shard shard-1's file {data / 'shard-1.sqlite3'} is missing"
    table = run_cli("admin", "shards", *storage_args)
    assert table.returncode == 0, table.stderr
    assert "unavailable" in table.stdout and shard_1["error"] in table.stdout
    assert not (data / "shard-1.sqlite3").exists()


# -- PostgreSQL: a shard on a server of its own, stopped; and one with a streaming replica ---


@pytest.fixture
def lonely() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of its own, for shard-1; durable, so that it may have a replica."""
    cluster = PostgresCluster(durable=True)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def split_args(postgres: PostgresCluster, lonely: PostgresCluster) -> list[str]:
    """A deployment with its main DB and shard-0 on the shared server, shard-1 on `lonely`."""
    urls = [postgres.create_database("main"), postgres.create_database("shard")]
    urls.append(lonely.create_database("shard"))
    args = ["--database-url", urls[0], "--shard-url", urls[1], "--shard-url", urls[2]]
    _workspace("north", args)
    _workspace("south", args)
    return args


def test_a_stopped_postgresql_shard_is_listed_unavailable(
    split_args: list[str], lonely: PostgresCluster
) -> None:
    lonely.halt()
    stopped = run_cli("admin", "shards", "--json", *split_args)
    assert stopped.returncode == 0, stopped.stderr
    shard_0, shard_1 = json.loads(stopped.stdout)["db_shards"]
    assert shard_0["available"] is True and shard_0["workspaces"][0]["domain"] == "north"
    assert shard_1["available"] is False
    assert shard_1["error"].startswith("shard shard-1 is unavailable: ")
    assert shard_1["workspaces"][0]["domain"] == "south"

    lonely.resume()
    assert all(s["available"] for s in _json("admin", "shards", *split_args)["db_shards"])


def test_the_lag_of_a_streaming_replica_is_shown(
    split_args: list[str], lonely: PostgresCluster
) -> None:
    replica = lonely.start_replica()
    try:
        database = split_args[-1].rsplit("/", 1)[1]
        replica_url = replica.url(database).replace("postgres@", f"postgres:{PASSWORD}@")
        named = run_cli("admin", "set-replica", "shard-1", replica_url, *split_args)
        assert named.returncode == 0, named.stderr
        _until_replayed(lonely)

        shard_0, shard_1 = _json("admin", "shards", *split_args)["db_shards"]
        assert shard_0["replication"] is None and shard_0["replica_url"] is None
        assert shard_1["replica_url"] == replica_url.replace(PASSWORD, "***")
        assert shard_1["replication"]["replicas"] == 1
        assert shard_1["replication"]["lag_bytes"] >= 0  # the test server is a superuser
        table = run_cli("admin", "shards", *split_args)
        assert "1 streaming" in table.stdout and PASSWORD not in table.stdout
    finally:
        replica.stop()


def _until_replayed(primary: PostgresCluster) -> None:
    """Until the replica has said how far it replayed: the byte lag is unknown before."""
    replayed = "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn IS NOT NULL"
    deadline = time.monotonic() + 60
    while primary.sql(replayed) != "1":
        assert time.monotonic() < deadline, "the replica never reported its replay position"
        time.sleep(0.05)
