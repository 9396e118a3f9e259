"""Shared fixtures: storage on SQLite and on a real PostgreSQL, and the acme workspace."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backchannel.app import Backchannel, open_backchannel
from backchannel.config import ServerSettings, Settings, StorageSettings
from backchannel.models import Workspace
from backchannel.services import ServiceContext
from backchannel.services.conversations import channels
from backchannel.services.identity import auth
from backchannel.services.people import users
from backchannel.services.tenancy import workspaces
from tests.support.cli import run_cli
from tests.support.etcd import etcd, etcd_topology  # noqa: F401  (fixtures)
from tests.support.nats import nats_server, nats_url, shared_nats  # noqa: F401  (fixtures)
from tests.support.postgres import PostgresCluster
from tests.support.rtm import live_edge
from tests.support.s3 import s3_server  # noqa: F401  (fixtures)

BACKENDS = ["sqlite", "postgresql"]
SHARDS = 2
# For a test whose subject is not storage: one backend is enough.
SQLITE = pytest.mark.parametrize("make_storage", ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def _databases_last_as_long_as_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used the session's PostgreSQL (and after its other fixtures, its
    servers and deployments among them, are done): its databases go."""
    yield
    if "postgres" in request.fixturenames:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        if cluster.running:
            cluster.drop_databases()


StorageFactory = Callable[..., StorageSettings]


@pytest.fixture(params=BACKENDS)
def make_storage(request: pytest.FixtureRequest, tmp_path: Path) -> StorageFactory:
    """Settings for a brand-new deployment on the parametrised backend."""

    def make(shards: int = SHARDS, ms_shards: int = 2) -> StorageSettings:
        if request.param == "sqlite":
            return StorageSettings(data_dir=tmp_path / "data", shards=shards, ms_shards=ms_shards)
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return StorageSettings(
            data_dir=tmp_path / "data",
            database_url=cluster.create_database("main"),
            shard_urls=tuple(cluster.create_database("shard") for _ in range(shards)),
            ms_shards=ms_shards,
        )

    return make


@pytest.fixture
def backend(make_storage: StorageFactory, request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["make_storage"])


@asynccontextmanager
async def opened(storage: StorageSettings) -> AsyncIterator[Backchannel]:
    """A deployment on `storage`, closed afterwards. Rate limits get in the way of most
    tests; tests/webapp/test_rate_limits.py turns them on."""
    settings = Settings(storage=storage, server=ServerSettings(rate_limits=False))
    backchannel = await open_backchannel(settings)
    try:
        yield backchannel
    finally:
        await backchannel.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Path]:
    """template(shards, ms_shards): a new SQLite deployment's data dir, made once per
    session by `backchannel db migrate`. Copying it costs a test 0.03 s where creating and
    migrating the files cost 0.17 s. Its URLs are relative to the data dir, so a copy is a
    deployment of its own."""
    made: dict[tuple[int, int], Path] = {}

    def template(shards: int, ms_shards: int) -> Path:
        if (shards, ms_shards) not in made:
            data_dir = tmp_path_factory.mktemp("template") / "data"
            options = ["--data-dir", str(data_dir), "--shards", str(shards)]
            created = run_cli("db", "migrate", *options, "--ms-shards", str(ms_shards))
            assert created.returncode == 0, created.stderr
            made[shards, ms_shards] = data_dir
        return made[shards, ms_shards]

    return template


@pytest.fixture
async def deployment(
    make_storage: StorageFactory, sqlite_template: Callable[[int, int], Path]
) -> AsyncIterator[Backchannel]:
    storage = make_storage()
    if storage.database_url is None:  # SQLite: a copy of a migrated deployment
        shards = storage.shards if storage.shards is not None else SHARDS
        shutil.copytree(sqlite_template(shards, storage.ms_shards), storage.data_dir)
    async with opened(storage) as backchannel:
        yield backchannel


@pytest.fixture
def ctx(deployment: Backchannel) -> ServiceContext:
    return deployment.ctx


@dataclass
class Acme:
    """The acme workspace with alice (an admin) and bob, and their tokens. Neither has a
    password: hashing one (Argon2) cost every test that used acme 0.1-0.4 s of CPU. A test
    that signs alice in asks for alice_password."""

    workspace: Workspace
    alice: users.NewUser
    bob: users.NewUser
    db_shard: str  # where the shard map put it
    ms_shard: str


@pytest.fixture
async def acme(ctx: ServiceContext) -> Acme:
    workspace = await workspaces.create_workspace(ctx, name="Acme", domain="acme")
    alice = await users.create_user(
        ctx, workspace="acme", email="alice@acme.test", name="Alice", admin=True
    )
    bob = await users.create_user(ctx, workspace="acme", email="bob@acme.test", name="Bob")
    placed = await ctx.router.assignment(workspace.id)
    return Acme(workspace, alice, bob, placed.db_shard, placed.ms_shard)


ALICE_PASSWORD = "alice-pass"


@pytest.fixture
async def alice_password(ctx: ServiceContext, acme: Acme) -> str:
    """alice's password, given to her now (as `backchannel admin set-password` would)."""
    await auth.set_password(ctx, workspace="acme", email="alice@acme.test", password=ALICE_PASSWORD)
    return ALICE_PASSWORD


@pytest.fixture
async def edge_url(deployment: Backchannel, acme: Acme) -> AsyncIterator[str]:
    """A live edge (rtm.start and rtm.connect need one), serving every message-server
    shard; its ws:// URL."""
    async with live_edge(deployment) as url:
        yield url


async def dev_channel(ctx: ServiceContext, acme: Acme) -> str:
    """#dev, a public channel with alice and bob in it; its id."""
    channel = await channels.create_channel(
        ctx, workspace_id=acme.workspace.id, creator=acme.alice.user.id, name="dev"
    )
    await channels.join_channel(
        ctx, workspace_id=acme.workspace.id, user_id=acme.bob.user.id, channel_id=channel.id
    )
    return channel.id


# -- the fast lane (docs/testing.md) ----------------------------------------------------------

TESTS = Path(__file__).parent
# Their tests start processes (the CLI, servers) or a browser: marked slow, for the full run.
SLOW_PLACES = ("cli", "web")
# The engine is their subject: --fast keeps their PostgreSQL variants.
ENGINE_PLACES = ("storage", "router")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        default=False,
        help="the fast lane (docs/testing.md): no slow tests, and PostgreSQL variants only "
        "where the engine is the subject",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: starts processes or a browser; --fast leaves it to the full run"
    )
    config.addinivalue_line(
        "markers", "engine: the storage engine is its subject; --fast keeps its PostgreSQL variant"
    )
    # Hypothesis imports libcst to print a failing example as a patch, which warns on
    # import: that warning, made an error, would hide the failure itself.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


def _place(item: pytest.Item) -> str:
    """The folder of tests/ the test is in ("" for tests/test_*.py)."""
    parts = item.path.relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 else ""


def _on_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "postgres" in getattr(item, "fixturenames", ()) or "postgresql" in params


def in_fast_lane(item: pytest.Item) -> bool:
    if item.get_closest_marker("slow"):
        return False
    engine = _place(item) in ENGINE_PLACES or item.get_closest_marker("engine") is not None
    return engine or not _on_postgresql(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _place(item) in SLOW_PLACES:
            item.add_marker(pytest.mark.slow)
    if not config.getoption("fast"):
        return
    kept = [item for item in items if in_fast_lane(item)]
    left = [item for item in items if not in_fast_lane(item)]
    _left_to_the_full_run.update(item.path for item in left)
    _left_to_the_full_run.difference_update(item.path for item in kept)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


# -- every published method validated -----------------------------------------------------

WEBAPP_TESTS = TESTS / "webapp"
# What this process ran and validated; with pytest-xdist, the controller gathers every
# worker's (each runs some of the files) before it checks the spec's coverage.
_files_run: set[Path] = set()
_validated_by_workers: set[str] = set()
_left_to_the_full_run: set[Path] = set()  # files --fast left out whole


def pytest_runtest_logfinish(nodeid: str) -> None:
    _files_run.add((Path(__file__).parent.parent / nodeid.split("::")[0]).resolve())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, in the controller: a worker finished; keep what it ran and validated."""
    output = getattr(node, "workeroutput", {})
    _files_run.update(Path(path) for path in output.get("files_run", ()))
    _validated_by_workers.update(output.get("validated", ()))
    _left_to_the_full_run.update(Path(path) for path in output.get("left_out", ()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Once every Web API test has run and passed (with --fast: every one in the lane),
    every registered method in Slack's published spec must have had a success reply
    validated against it (see tests/support/slack_spec.py)."""
    from tests.support.slack_spec import validated

    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller checks
        session.config.workeroutput["files_run"] = sorted(map(str, _files_run))
        session.config.workeroutput["validated"] = sorted(validated)
        session.config.workeroutput["left_out"] = sorted(map(str, _left_to_the_full_run))
        return
    every_file = {path.resolve() for path in WEBAPP_TESTS.glob("test_*.py")}
    every_file -= {path.resolve() for path in _left_to_the_full_run}
    filtered = session.config.option.keyword or session.config.option.markexpr
    if exitstatus != 0 or filtered or not every_file <= _files_run:
        return
    from backchannel.webapp.registry import METHODS

    published = {name for name, method in METHODS.items() if method.published}
    missing = sorted(published - validated - _validated_by_workers)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAILED: no success reply of {', '.join(missing)} was validated against "
                "Slack's spec: test them through ValidatingAsyncWebClient",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
