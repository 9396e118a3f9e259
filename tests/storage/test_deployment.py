"""Opening a deployment: bad settings are refused before anything is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel.app import open_backchannel
from backchannel.config import ServerSettings, Settings, StorageSettings, load_config_file
from backchannel.errors import ConfigError
from backchannel.ops.deployment import open_router
from backchannel.storage.engines.engine import parse_database_url
from tests.support.postgres import PostgresCluster


@pytest.mark.parametrize(
    "url",
    ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+asyncpg://u:p@h:5/db"],
)
def test_postgresql_urls_use_asyncpg(url: str) -> None:
    assert parse_database_url(url).drivername == "postgresql+asyncpg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@h/db", "bad database URL"),
        ("postgresql://u@h", "names no database"),
        ("postgresql+pg8000://u@h/db", "unsupported PostgreSQL driver"),
        ("sqlite://", "must name a file"),
    ],
)
def test_bad_urls_say_what_is_expected(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_database_url(url)


async def test_a_bad_shard_url_records_nothing(postgres: PostgresCluster, tmp_path: Path) -> None:
    main = postgres.create_database("main")
    bad = StorageSettings(
        database_url=main, shard_urls=(postgres.create_database("s"), "mysql://x/y")
    )
    with pytest.raises(ConfigError, match="bad database URL"):
        await open_router(bad, create=True, now=0.0)
    good = StorageSettings(database_url=main, shard_urls=(postgres.create_database("s"),))
    router = await open_router(good, create=True, now=0.0)
    try:
        assert sorted(router.shard_map.current.db_shards) == ["shard-0"]
    finally:
        await router.close()


async def test_a_lost_shard_file_is_never_replaced_by_an_empty_one(tmp_path: Path) -> None:
    settings = StorageSettings(data_dir=tmp_path, shards=2)
    await (await open_router(settings, create=True, now=0.0)).close()
    (tmp_path / "shard-1.sqlite3").unlink()
    with pytest.raises(ConfigError, match=r"shard shard-1's file .* is missing"):
        await open_router(settings, create=True, now=0.0)
    assert not (tmp_path / "shard-1.sqlite3").exists()


def test_config_file_values_are_checked(tmp_path: Path) -> None:
    config = tmp_path / "backchannel.toml"
    config.write_text('[storage]\nshards = "four"\n')
    with pytest.raises(ConfigError, match=r"storage.shards must be int, got str 'four'"):
        load_config_file(config)
    config.write_text("[storage]\ncolour = 1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config_file(config)
    config.write_text("[storage\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(config)
    config.write_text('[storage]\ndata_dir = "d"\nshards = 3\n[server]\nport = 9000\n')
    settings = load_config_file(config)
    assert settings.storage.data_dir == tmp_path / "d"
    assert (settings.storage.shards, settings.server.port) == (3, 9000)


async def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    config = tmp_path / "backchannel.toml"
    config.write_text('[server]\ntrusted_proxies = ["10.0.0.5", "192.168.0.0/16", "::1"]\n')
    assert load_config_file(config).server.trusted_proxies == ("10.0.0.5", "192.168.0.0/16", "::1")
    typo = Settings(StorageSettings(data_dir=tmp_path), ServerSettings(trusted_proxies=("10.0.0",)))
    with pytest.raises(ConfigError, match=r"trusted proxy '10\.0\.0' is not an address"):
        await open_backchannel(typo)
    assert not (tmp_path / "main.sqlite3").exists()  # refused before anything was made
