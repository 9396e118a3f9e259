"""Where the load generator may send load: loopback, and the hosts named in an env var.

It creates its people through the deployment's own storage, so it runs on the machine of
the deployment it loads; refusing other hosts keeps a typo from loading someone else's
server. See docs/loadgen.md.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from backchannel.errors import ConfigError

# Comma-separated extra host names: the project's own test hosts, and nothing else.
HOSTS_ENV = "BACKCHANNEL_LOADGEN_HOSTS"


def allowed_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host in _extra_hosts():
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _extra_hosts() -> set[str]:
    listed = os.environ.get(HOSTS_ENV, "")
    return {name.strip().lower() for name in listed.split(",") if name.strip()}


def check_api_url(url: str) -> str:
    """The Web API's base URL without a trailing slash; ConfigError unless it is allowed."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url must be an http:// or https:// URL, got {url!r}")
    if not allowed_host(parts.hostname):
        raise ConfigError(
            f"loadgen only targets loopback (127.0.0.0/8, ::1, localhost) or the hosts in "
            f"{HOSTS_ENV}, got {parts.hostname!r}"
        )
    return url.strip().rstrip("/")


def socket_host_allowed(url: str) -> bool:
    """Whether a websocket URL the server handed out points at an allowed host too."""
    return allowed_host(urlsplit(url).hostname)
