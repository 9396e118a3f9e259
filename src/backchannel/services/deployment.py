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
from backchannel.errors import ConfigError, SchemaBehind, StorageUnavailable
from backchannel.router import Main, Router, Shard
from backchannel.storage import migrate, topology
from backchannel.storage.engine import (
    Engines,
    create_engines,
    is_sqlite,
    parse_database_url,
    redact,
)

MAIN_FILE = "main.sqlite3"
Progress = Callable[[str], None]


def main_url(settings: StorageSettings) -> URL:
    if settings.database_url is not None:
        return parse_database_url(settings.database_url)
    return parse_database_url(f"sqlite:///{MAIN_FILE}", base_dir=settings.data_dir.resolve())


def _prepare_data_dir(settings: StorageSettings, url: URL) -> None:
    if not is_sqlite(url):
        return
    directory = Path(str(url.database)).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data dir {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"data dir {directory} is not writable")


async def open_router(
    settings: StorageSettings, *, create: bool, now: float, progress: Progress | None = None
) -> Router:
    """A Router over a deployment whose every schema is current.

    create: make a new deployment when the main DB is empty; otherwise say how to make one.
    """
    url = main_url(settings)
    if not create and is_sqlite(url) and not Path(str(url.database)).exists():
        raise ConfigError(
            f"no Backchannel data in {Path(str(url.database)).parent}: "
            "start with `backchannel serve` or `backchannel db migrate`"
        )
    _prepare_data_dir(settings, url)
    main = create_engines(url, pool_size=settings.pool_size, pool_timeout=settings.pool_timeout)
    router = Router(
        main,
        base_dir=settings.data_dir.resolve(),
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout,
    )
    try:
        revision = await _revision(main, "the main database")
        if revision is None:
            if not create:
                raise ConfigError(
                    f"the main database {redact(url)} has no Backchannel schema: "
                    "run `backchannel db migrate`"
                )
            await _create_deployment(router, settings, now, progress)
        else:
            _check_current("the main database", "main", revision)
            await _check_shards(router, settings, create=create, progress=progress)
    except BaseException:
        await router.close()
        raise
    return router


async def migrate_deployment(
    settings: StorageSettings, *, now: float, progress: Progress | None = None
) -> Router:
    """`backchannel db migrate`: upgrade the main DB and every shard to head.

    Each database is upgraded in its own transaction, so a failure leaves every other shard
    done and this one untouched; running the command again resumes.
    """
    url = main_url(settings)
    _prepare_data_dir(settings, url)
    main = create_engines(url, pool_size=settings.pool_size, pool_timeout=settings.pool_timeout)
    router = Router(
        main,
        base_dir=settings.data_dir.resolve(),
        pool_size=settings.pool_size,
        pool_timeout=settings.pool_timeout,
    )
    try:
        if await _revision(main, "the main database") is None:
            await _create_deployment(router, settings, now, progress)
            return router
        await _upgrade(main, "main", "the main database", progress)
        await _check_shards(router, settings, create=True, progress=progress, upgrade=True)
    except BaseException:
        await router.close()
        raise
    return router


async def _create_deployment(
    router: Router, settings: StorageSettings, now: float, progress: Progress | None
) -> None:
    await _upgrade(router.main, "main", "the main database", progress)
    urls = settings.shard_urls or _embedded_shard_urls(settings)
    async with router.write(Main()) as conn:
        for index, shard_url in enumerate(urls):
            parse_database_url(shard_url)  # refuse a bad URL before anything is recorded
            await topology.insert_db_shard_txn(conn, f"shard-{index}", shard_url, now)
        for index in range(settings.ms_shards):
            await topology.insert_ms_shard_txn(conn, f"ms-{index}", now)
    await _check_shards(router, settings, create=True, progress=progress)


def _embedded_shard_urls(settings: StorageSettings) -> tuple[str, ...]:
    count = settings.shards if settings.shards is not None else DEFAULT_SHARDS
    if count < 1:
        raise ConfigError(f"--shards must be at least 1, got {count}")
    return tuple(f"sqlite:///shard-{index}.sqlite3" for index in range(count))


async def _check_shards(
    router: Router,
    settings: StorageSettings,
    *,
    create: bool,
    progress: Progress | None,
    upgrade: bool = False,
) -> None:
    shard_map = await router.shard_map.refresh()
    requested = settings.shards
    if (
        requested is not None
        and settings.shard_urls == ()
        and requested != len(shard_map.db_shards)
    ):
        raise ConfigError(
            f"this deployment has {len(shard_map.db_shards)} shards; --shards {requested} "
            "only applies to a new one"
        )
    for name in sorted(shard_map.db_shards):
        engines = router.pools.engines_for(shard_map.db_shards[name])
        label = f"shard {name}"
        revision = await _revision(engines, label)
        if upgrade or (revision is None and create):
            await _upgrade(engines, "shard", label, progress)
        else:
            _check_current(label, "shard", revision)
        await _probe(router, name)


async def _probe(router: Router, name: str) -> None:
    async with router.read(Shard(name)) as conn:
        await conn.exec_driver_sql("SELECT 1")


async def _revision(engines: Engines, label: str) -> str | None:
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


async def _upgrade(
    engines: Engines, kind: migrate.Kind, label: str, progress: Progress | None
) -> None:
    before = await _revision(engines, label)
    if before == migrate.head_revision(kind):
        return
    try:
        await migrate.upgrade(engines, kind)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageUnavailable(f"migrating {label} failed: {reason}") from None
    if progress is not None:
        progress(f"migrated {label}: {before or 'empty'} -> {migrate.head_revision(kind)}")
