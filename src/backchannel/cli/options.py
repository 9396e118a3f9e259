"""Options every command shares, and how they become Settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from backchannel.config import Settings, load_config_file, with_overrides

F = TypeVar("F", bound=Callable[..., Any])

_STORAGE_OPTIONS = [
    click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        envvar="BACKCHANNEL_CONFIG",
        help="A TOML file with [storage] and [server] settings.",
    ),
    click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Where embedded storage lives (default ./data).",
    ),
    click.option(
        "--database-url",
        default=None,
        envvar="BACKCHANNEL_DATABASE_URL",
        help="The main DB, e.g. postgresql://user@host/backchannel (default: SQLite "
        "in the data dir).",
    ),
    click.option(
        "--shard-url",
        "shard_urls",
        multiple=True,
        help="A shard database URL, once per shard; only read when the deployment is created.",
    ),
    click.option(
        "--shards",
        type=click.IntRange(min=1),
        default=None,
        help="How many SQLite shards a new data dir gets (default 4).",
    ),
    click.option(
        "--ms-shards",
        type=click.IntRange(min=1),
        default=None,
        help="How many message-server shards a new deployment gets (default 2).",
    ),
    click.option(
        "--topology",
        default=None,
        envvar="BACKCHANNEL_TOPOLOGY",
        help="Where the shard map and edge registry live: etcd://host:2379/prefix "
        "(default: the main DB).",
    ),
    click.option(
        "--replica-reads",
        is_flag=True,
        default=None,
        help="Send the reads that allow it (history pages, search) to a shard's replica.",
    ),
    click.option(
        "--files",
        default=None,
        envvar="BACKCHANNEL_FILES",
        help="Where file bytes live: s3://bucket?endpoint=https://host (credentials from "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); default: the data dir.",
    ),
]


def storage_options(command: F) -> F:
    for option in reversed(_STORAGE_OPTIONS):
        command = option(command)
    return command


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(command)


def build_settings(
    *,
    config_file: Path | None,
    data_dir: Path | None,
    database_url: str | None,
    shard_urls: tuple[str, ...],
    shards: int | None,
    ms_shards: int | None,
    topology: str | None,
    replica_reads: bool | None,
    files: str | None,
    **server: Any,
) -> Settings:
    base = load_config_file(config_file) if config_file is not None else Settings()
    return with_overrides(
        base,
        data_dir=data_dir,
        database_url=database_url,
        shard_urls=shard_urls or None,
        shards=shards,
        ms_shards=ms_shards,
        topology=topology,
        replica_reads=replica_reads,
        files=files,
        **server,
    )
