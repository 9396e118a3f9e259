"""Opening a deployment: the main DB, its shards, and their schemas.

A new deployment (empty main DB) is created on request: the main DB is migrated, the shards
are registered (N SQLite files in the data dir, or the given URLs) and migrated. An existing
one is only checked: a database whose schema is behind stops the caller with one line that
says to run `backchannel db migrate`, which is `migrate_deployment`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL

from backchannel.config import DEFAULT_SHARDS, StorageSettings
from backchannel.errors import BackchannelError, ConfigError, SchemaBehind, StorageUnavailable
from backchannel.models import DbShard
from backchannel.models.topology import PutDbShard, PutMsShard, TopologyChange
from backchannel.router import Main, Router, Shard
from backchannel.router.topology import TopologyStore
from backchannel.storage import migrate
from backchannel.storage.engines.connection import Engines
from backchannel.storage.engines.engine import (
    create_engines,
    is_sqlite,
    parse_database_url,
    redact,
)
from backchannel.storage.engines.statistics import refresh_statistics_txn

MAIN_FILE = "main.sqlite3"
MAIN_LABEL = "the main database"
Progress = Callable[[str], None]


def main_url(settings: StorageSettings) -> URL:
    if settings.database_url is not None:
        return parse_database_url(settings.database_url)
    return parse_database_url(f"sqlite:///{MAIN_FILE}", base_dir=settings.data_dir.resolve())


def _prepare_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data dir {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"data dir {directory} is not writable")


async def open_router(
    settings: StorageSettings,
    *,
    create: bool,
    now: float,
    progress: Progress | None = None,
    check_shards: bool = True,
) -> Router:
    """A Router over a deployment whose every schema is current.

    create: make a new deployment when the main DB is empty; otherwise say how to make one.
    check_shards: False opens the main DB only, for what must work while a shard is down
    (`admin shards`); then nothing is known of the shards' schemas.
    """
    return await _open(
        settings, create=create, upgrade=False, now=now, progress=progress, shards=check_shards
    )


async def migrate_deployment(
    settings: StorageSettings, *, now: float, progress: Progress | None = None
) -> Router:
    """`backchannel db migrate`: upgrade the main DB and every shard to head.

    Each database is upgraded in its own transaction, so a failure leaves this one untouched;
    the other shards are migrated all the same, then one SchemaBehind says which failed and
    why. Running the command again resumes: a database at head is left alone.
    """
    return await _open(settings, create=True, upgrade=True, now=now, progress=progress)


async def _open(
    settings: StorageSettings,
    *,
    create: bool,
    upgrade: bool,
    now: float,
    progress: Progress | None,
    shards: bool = True,
) -> Router:
    url = main_url(settings)
    if is_sqlite(url):
        main_file = Path(str(url.database))
        if not create and not main_file.exists():
            raise ConfigError(
                f"no Backchannel data in {main_file.parent}: "
                "start with `backchannel serve` or `backchannel db migrate`"
            )
        _prepare_directory(main_file.parent)
    if settings.max_rows < 1:
        raise ConfigError(f"max_rows must be at least 1, got {settings.max_rows}")
    store = _topology_store(settings)
    main = create_engines(url, pool_size=settings.pool_size, pool_timeout=settings.pool_timeout)
    router = Router(
        main,
        base_dir=settings.data_dir.resolve(),
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout,
        max_rows=settings.max_rows,
        topology=store,
        replica_reads=settings.replica_reads,
    )
    try:
        await _bring_main_up(router, url, create=create, upgrade=upgrade, progress=progress)
        fresh = await _register_shards_if_none(router, settings, create=create)
        if shards:
            await _bring_shards_up(
                router, settings, fresh=fresh, upgrade=upgrade, progress=progress
            )
    except BaseException:
        await router.close()
        raise
    return router


def _topology_store(settings: StorageSettings) -> TopologyStore | None:
    """etcd's store if asked for (None: the main DB's). Imported only then: its gRPC
    client costs every command a tenth of a second to load."""
    if settings.topology is None:
        return None
    from backchannel.router.topology_etcd import EtcdTopology

    return EtcdTopology(settings.topology)


async def _bring_main_up(
    router: Router, url: URL, *, create: bool, upgrade: bool, progress: Progress | None
) -> None:
    revision = await schema_revision(router.main, MAIN_LABEL)
    if revision is None and not create:
        raise ConfigError(
            f"the main database {redact(url)} has no Backchannel schema: "
            "run `backchannel db migrate`"
        )
    if revision is None or upgrade:
        await upgrade_schema(router.main, "main", MAIN_LABEL, progress)
    else:
        _check_current(MAIN_LABEL, "main", revision)


async def _register_shards_if_none(
    router: Router, settings: StorageSettings, *, create: bool
) -> bool:
    """Record the shards of a new deployment (all or nothing); True if it was new."""
    if (await router.shard_map.refresh()).db_shards:
        return False
    if not create:
        raise ConfigError("this deployment has no shards yet: run `backchannel db migrate`")
    urls = settings.shard_urls or _embedded_shard_urls(settings)
    base_dir = settings.data_dir.resolve()
    for shard_url in urls:  # refuse a bad URL before anything is recorded
        parse_database_url(shard_url, base_dir=base_dir)
    if settings.ms_shards < 1:
        raise ConfigError(f"ms_shards must be at least 1, got {settings.ms_shards}")
    if not settings.shard_urls:
        _prepare_directory(base_dir)
    changes: list[TopologyChange] = [
        PutDbShard(DbShard(f"shard-{index}", url)) for index, url in enumerate(urls)
    ]
    changes += [PutMsShard(f"ms-{index}") for index in range(settings.ms_shards)]
    # Nothing if another process registered them meanwhile (the compare-and-set decides).
    await router.change_topology(lambda current: [] if current.db_shards else changes)
    return True


def _embedded_shard_urls(settings: StorageSettings) -> tuple[str, ...]:
    count = settings.shards if settings.shards is not None else DEFAULT_SHARDS
    if count < 1:
        raise ConfigError(f"shards must be at least 1, got {count}")
    return tuple(f"sqlite:///shard-{index}.sqlite3" for index in range(count))


async def _bring_shards_up(
    router: Router,
    settings: StorageSettings,
    *,
    fresh: bool,
    upgrade: bool,
    progress: Progress | None,
) -> None:
    shard_map = router.shard_map.current
    requested = settings.shards
    if requested is not None and not settings.shard_urls and requested != len(shard_map.db_shards):
        raise ConfigError(
            f"this deployment has {len(shard_map.db_shards)} shards; --shards {requested} "
            "only applies to a new one"
        )
    base_dir = settings.data_dir.resolve()
    failures: list[BackchannelError] = []
    for name in sorted(shard_map.db_shards):
        try:
            shard = shard_map.db_shards[name]
            await _bring_shard_up(router, shard, base_dir, fresh, upgrade, progress)
        except BackchannelError as exc:
            if not upgrade:
                raise
            failures.append(exc)  # `db migrate` goes on: the other shards get done
    if failures:
        raise _unfinished(failures, len(shard_map.db_shards))


async def _bring_shard_up(
    router: Router,
    shard: DbShard,
    base_dir: Path,
    fresh: bool,
    upgrade: bool,
    progress: Progress | None,
) -> None:
    label = f"shard {shard.name}"
    url = parse_database_url(shard.url, base_dir=base_dir)
    if not fresh and is_sqlite(url) and not Path(str(url.database)).exists():
        # Never quietly replace a lost shard with an empty one.
        raise ConfigError(f"{label}'s file {url.database} is missing: restore it from backup")
    engines = router.pools.engines_for(shard)
    if fresh or upgrade:
        await upgrade_schema(engines, "shard", label, progress)
    else:
        _check_current(label, "shard", await schema_revision(engines, label))
    await _probe(router, shard.name)


def _unfinished(failures: list[BackchannelError], shards: int) -> SchemaBehind:
    """One line for a `db migrate` that could not do every shard: what failed and why, and
    that the rest is done, so running it again only does what is left."""
    reasons = "; ".join(" ".join(exc.message.split()) for exc in failures)
    done = shards - len(failures)
    return SchemaBehind(
        f"{reasons}. The main database and {done} of {shards} shard(s) are at the newest "
        "schema: run `backchannel db migrate` again to migrate the rest"
    )


async def _probe(router: Router, name: str) -> None:
    async with router.read(Shard(name)) as conn:
        await conn.exec_driver_sql("SELECT 1")


async def schema_revision(engines: Engines, label: str) -> str | None:
    try:
        return await migrate.current_revision(engines)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageUnavailable(
            f"cannot open {label} ({redact(engines.url)}): {reason}".strip()
        ) from None


def _check_current(label: str, kind: migrate.Kind, revision: str | None) -> None:
    head = migrate.head_revision(kind)
    if revision == head:
        return
    behind = migrate.revision_distance(kind, revision)
    if behind < 0:
        raise SchemaBehind(
            f"{label} has schema {revision}, which this version of Backchannel does not know "
            f"(newest known: {head}): upgrade Backchannel"
        )
    raise SchemaBehind(
        f"{label} schema is {behind} migration(s) behind ({revision or 'empty'} < {head}): "
        "run `backchannel db migrate`"
    )


async def upgrade_schema(
    engines: Engines, kind: migrate.Kind, label: str, progress: Progress | None
) -> None:
    before = await schema_revision(engines, label)
    if before == migrate.head_revision(kind):
        return
    try:
        await migrate.upgrade(engines, kind)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageUnavailable(f"migrating {label} failed: {reason}") from None
    if progress is not None:
        progress(f"migrated {label}: {before or 'empty'} -> {migrate.head_revision(kind)}")


async def refresh_statistics(router: Router) -> int:
    """Refresh the query planner's statistics of the main DB and every shard where the
    engine does not do it itself (SQLite); how many databases were refreshed."""
    refreshed = 0
    names = sorted((await router.shard_map.refresh()).db_shards)
    destinations: list[Main | Shard] = [Main(), *(Shard(name) for name in names)]
    for destination in destinations:
        async with router.write(destination) as conn:
            refreshed += await refresh_statistics_txn(conn)
    return refreshed
