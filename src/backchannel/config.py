"""Settings: where the data lives and how the server listens.

Flags win over the config file, the config file over defaults. See docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from backchannel.errors import ConfigError

DEFAULT_DATA_DIR = Path("./data")
DEFAULT_SHARDS = 4
DEFAULT_MS_SHARDS = 2


@dataclass(frozen=True)
class StorageSettings:
    """Where the main DB and the shards are.

    With no database_url everything is embedded: data_dir/main.sqlite3 and
    data_dir/shard-N.sqlite3. shard_urls and shards only matter when the main DB is new:
    afterwards the main DB itself records every shard (the topology).
    """

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    shard_urls: tuple[str, ...] = ()
    shards: int | None = None
    ms_shards: int = DEFAULT_MS_SHARDS
    pool_size: int = 5
    pool_timeout: float = 5.0
    max_rows: int = 100_000  # a read returning more fails (storage/engines/row_limit.py)
    topology: str | None = None  # etcd://host:port/prefix; None: the main DB holds it
    replica_reads: bool = False  # reads that allow it go to a shard's replica, if it has one
    # Where file bytes live: None, the data dir (data_dir/files); or an S3-compatible object
    # store, s3://bucket[/prefix]?endpoint=https://host (storage/blobs/, docs/storage.md).
    files: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    rate_limits: bool = True
    rate_limit_scale: float = 1.0  # 2.0 allows twice Slack's rates
    role: str = "all"  # all | webapp | edge
    nats_url: str | None = None  # the bus between processes; None: in-process
    edge_port: int | None = None  # role all: the websocket port (default: port + 1)
    edge_ms_shards: tuple[str, ...] = ()  # the message-server shards an edge serves (all)
    edge_public_url: str | None = None  # where clients reach the edge, e.g. wss://rtm.example
    event_retention_hours: float = 7 * 24.0  # how long a client can be away and resume
    edge_cache_mb: float = 256.0  # the edge cache's bound (docs/edge-cache.md)
    edge_heartbeat_seconds: float = 2.0  # an edge silent for 5 of these is not live
    log_format: str = "text"  # text | json (one object a line); see logs.py
    log_level: str = "warning"  # debug | info (one line per request) | warning | error
    # Peers whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or networks;
    # "*": every peer). None by default: a client cannot pass for another address.
    trusted_proxies: tuple[str, ...] = ()
    # How long a client may take to send a request's headers (HTTP), or to open its socket
    # (the edge's opening handshake), before the connection is closed.
    header_timeout_seconds: float = 10.0
    # An app's Request URL that has failed every delivery this long is disabled, its reason
    # shown to admins (docs/apps.md); what it misses waits in the log for it.
    app_disable_after_minutes: float = 60.0

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    server: ServerSettings = field(default_factory=ServerSettings)


# What each key of the config file must hold (bool is refused where a number is expected).
_TYPES: dict[str, tuple[type, ...]] = {
    "data_dir": (str,),
    "database_url": (str,),
    "shard_urls": (list,),
    "shards": (int,),
    "ms_shards": (int,),
    "pool_size": (int,),
    "pool_timeout": (int, float),
    "max_rows": (int,),
    "topology": (str,),
    "replica_reads": (bool,),
    "files": (str,),
    "host": (str,),
    "port": (int,),
    "public_url": (str,),
    "rate_limits": (bool,),
    "rate_limit_scale": (int, float),
    "role": (str,),
    "nats_url": (str,),
    "edge_port": (int,),
    "edge_ms_shards": (list,),
    "edge_public_url": (str,),
    "event_retention_hours": (int, float),
    "edge_cache_mb": (int, float),
    "edge_heartbeat_seconds": (int, float),
    "log_format": (str,),
    "log_level": (str,),
    "trusted_proxies": (list,),
    "header_timeout_seconds": (int, float),
    "app_disable_after_minutes": (int, float),
}
_STORAGE_KEYS = {
    "data_dir",
    "database_url",
    "shard_urls",
    "shards",
    "ms_shards",
    "pool_size",
    "pool_timeout",
    "max_rows",
    "topology",
    "replica_reads",
    "files",
}
_SERVER_KEYS = {
    "host",
    "port",
    "public_url",
    "rate_limits",
    "rate_limit_scale",
    "role",
    "nats_url",
    "edge_port",
    "edge_ms_shards",
    "edge_public_url",
    "event_retention_hours",
    "edge_cache_mb",
    "edge_heartbeat_seconds",
    "log_format",
    "log_level",
    "trusted_proxies",
    "header_timeout_seconds",
    "app_disable_after_minutes",
}
ROLES = ("all", "webapp", "edge")


def load_config_file(path: Path) -> Settings:
    """Read a TOML config file with optional [storage] and [server] tables."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    storage = _section(raw, "storage", _STORAGE_KEYS, path)
    server = _section(raw, "server", _SERVER_KEYS, path)
    if "data_dir" in storage:
        storage["data_dir"] = (path.parent / str(storage["data_dir"])).resolve()
    if "shard_urls" in storage:
        urls = storage["shard_urls"]
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ConfigError(f"{path}: storage.shard_urls must be a list of URLs")
        storage["shard_urls"] = tuple(urls)
    if "edge_ms_shards" in server:
        names = server["edge_ms_shards"]
        if not all(isinstance(name, str) for name in names):
            raise ConfigError(f"{path}: server.edge_ms_shards must be a list of shard names")
        server["edge_ms_shards"] = tuple(names)
    if "trusted_proxies" in server:
        proxies = server["trusted_proxies"]
        if not all(isinstance(proxy, str) for proxy in proxies):
            raise ConfigError(f"{path}: server.trusted_proxies must be a list of addresses")
        server["trusted_proxies"] = tuple(proxies)
    try:
        return Settings(storage=StorageSettings(**storage), server=ServerSettings(**server))
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check_proxies(proxies: tuple[str, ...]) -> None:
    """Each trusted proxy is an address, a network or "*": a typo is an error, not a proxy
    silently distrusted."""
    for proxy in proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(
                f"trusted proxy {proxy!r} is not an address, a network or *"
            ) from None


def _section(raw: dict[str, Any], name: str, allowed: set[str], path: Path) -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"expected some of {', '.join(sorted(allowed))}"
        )
    extra = set(raw) - {"storage", "server"}
    if extra:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(extra))}")
    for key, value in section.items():
        expected = _TYPES[key]
        wrong_bool = isinstance(value, bool) and bool not in expected
        if wrong_bool or not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            raise ConfigError(
                f"{path}: {name}.{key} must be {names}, got {type(value).__name__} {value!r}"
            )
    return dict(section)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """Apply command-line flags (None means "not given") over a Settings."""
    storage_changes = {k: v for k, v in overrides.items() if k in _STORAGE_KEYS and v is not None}
    server_changes = {k: v for k, v in overrides.items() if k in _SERVER_KEYS and v is not None}
    return Settings(
        storage=replace(settings.storage, **storage_changes),
        server=replace(settings.server, **server_changes),
    )
