"""`backchannel admin status`: a deployment at a glance (docs/cli.md).

What the main DB and the topology say (ops/status.py: shards, organisations,
workspaces, registered edges), and what the running processes count now, scraped from their
/metrics (docs/metrics.md): each live edge's open sockets and events delivered, and with
`--url` a webapp's calls, errors and latency. A process that does not answer is shown as
unreachable; the command still succeeds.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import ProxyHandler, build_opener

import click
from rich.console import Console
from rich.table import Table

from backchannel.cli.options import build_settings, json_option, storage_options
from backchannel.cli.output import emit
from backchannel.cli.shard_tables import read_deployment, shard_errors, shard_tables
from backchannel.config import StorageSettings
from backchannel.errors import InvalidArgument
from backchannel.metrics.reading import Page, parse_page, quantile, total
from backchannel.ops.status import deployment_status

SCRAPE_SECONDS = 3.0  # per process: a hung one costs this once (they are asked at once)
HTTP_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


@click.command("status")
@click.option(
    "--url",
    "webapp_url",
    default=None,
    help="A webapp's base URL (http://host:port): adds its calls, errors and latency.",
)
@storage_options
@json_option
def status(webapp_url: str | None, as_json: bool, **storage: Any) -> None:
    """Summarise a deployment: shards, workspaces, edges and what they carry now. A shard or
    process that is down is shown as such (exit status 0)."""
    metrics_url = None if webapp_url is None else _webapp_metrics_url(webapp_url)
    report = asyncio.run(_gather(build_settings(**storage).storage, webapp_url, metrics_url))
    if as_json:
        emit(report, as_json=True, human="")
        return
    console = Console()
    console.print(_headline(report))
    console.print(*shard_tables(report), _edge_table(report["edges"]))
    if "webapp" in report:
        console.print(_webapp_line(report["webapp"]))
    unreachable = [
        f"edge {e['url']}: {e['unreachable']}" for e in report["edges"] if e["unreachable"]
    ]
    for error in [*shard_errors(report), *unreachable]:
        click.echo(error)


async def _gather(
    storage: StorageSettings, webapp_url: str | None, metrics_url: str | None
) -> dict[str, Any]:
    report = await read_deployment(storage, deployment_status)
    live = [edge for edge in report["edges"] if edge["live"]]
    urls = [_metrics_url(edge["url"]) for edge in live] + ([metrics_url] if metrics_url else [])
    scraped = await _scrape_all(urls)
    for edge in report["edges"]:  # a stale edge is not asked: it is gone
        edge["metrics"] = edge["unreachable"] = None
    for edge, (page, error) in zip(live, scraped[: len(live)], strict=True):
        edge["metrics"] = None if page is None else _edge_numbers(page, edge["url"])
        edge["unreachable"] = error
    if webapp_url is not None:
        page, error = scraped[-1]
        numbers = None if page is None else _webapp_numbers(page)
        report["webapp"] = {"url": webapp_url, "metrics": numbers, "unreachable": error}
    return report


async def _scrape_all(urls: list[str]) -> list[tuple[Page | None, str | None]]:
    """Every page at once, a thread each: a hung process costs SCRAPE_SECONDS once."""
    if not urls:
        return []
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(await asyncio.gather(*(loop.run_in_executor(pool, _scrape, u) for u in urls)))


def _scrape(url: str) -> tuple[Page | None, str | None]:
    """The page at `url`, or why there is none (never raises). No proxy: the processes are
    asked directly, whatever the environment's http_proxy says."""
    try:
        with build_opener(ProxyHandler({})).open(url, timeout=SCRAPE_SECONDS) as response:
            if response.status != 200:
                return None, f"HTTP {response.status} from {url}"
            return parse_page(response.read().decode()), None
    except HTTPError as exc:
        return None, f"HTTP {exc.code} from {url}"
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return None, _no_answer(url)
        return None, f"cannot connect to {url}"
    except TimeoutError:
        return None, _no_answer(url)
    except (OSError, ValueError) as exc:
        return None, f"{url}: {type(exc).__name__}: {exc}"


def _no_answer(url: str) -> str:
    return f"no answer from {url} within {SCRAPE_SECONDS:.0f} s"


def _metrics_url(base: str) -> str:
    """An edge's or a webapp's /metrics: at the root of its host and port, over HTTP."""
    parts = urlsplit(base)
    return urlunsplit((HTTP_SCHEMES[parts.scheme], parts.netloc, "/metrics", "", ""))


def _webapp_metrics_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"--url: expected a webapp URL like http://host:8000, got {url!r}")
    return _metrics_url(parts.geturl())


def _edge_numbers(page: Page, url: str) -> dict[str, Any]:
    return {
        "sockets": int(total(page, "backchannel_edge_sockets", edge=url)),
        "events_delivered": int(total(page, "backchannel_events_delivered_total")),
        "bus_lag_p99_seconds": quantile(page, "backchannel_bus_lag_seconds", 0.99),
    }


def _webapp_numbers(page: Page) -> dict[str, Any]:
    calls = total(page, "backchannel_api_requests_total")
    failed = calls - total(page, "backchannel_api_requests_total", status="ok")
    return {
        "requests": int(calls),
        "errors": int(failed),
        "error_rate": failed / calls if calls else 0.0,
        "ratelimited": int(total(page, "backchannel_ratelimited_total")),
        "p50_seconds": quantile(page, "backchannel_api_request_seconds", 0.5),
        "p99_seconds": quantile(page, "backchannel_api_request_seconds", 0.99),
    }


# -- for a human ----------------------------------------------------------------------------


def _headline(report: dict[str, Any]) -> str:
    live = sum(edge["live"] for edge in report["edges"])
    return (
        f"topology version {report['version']} ({report['topology']}): "
        f"organisations {report['organisations']}, workspaces {report['workspaces']}, "
        f"DB shards {len(report['db_shards'])}, message-server shards "
        f"{len(report['ms_shards'])}, live edges {live} of {len(report['edges'])}"
    )


def _edge_table(edges: list[dict[str, Any]]) -> Table:
    table = Table(title="edges")
    table.add_column("edge", no_wrap=True)  # an address is copied whole
    for column in ("state", "serves", "sockets", "delivered", "lag p99"):
        table.add_column(column, overflow="fold")
    for edge in edges:
        serves = "all" if edge["ms_shards"] is None else ", ".join(edge["ms_shards"])
        beat = f"{edge['heartbeat_age_seconds']:.0f} s"
        state = f"live, {beat}" if edge["live"] else f"stale, {beat}"
        numbers = edge["metrics"]
        if numbers is None:  # stale, or its /metrics did not answer (said below the table)
            state = f"unreachable, {beat}" if edge["unreachable"] else state
            table.add_row(edge["url"], state, serves, "-", "-", "-")
            continue
        lag = numbers["bus_lag_p99_seconds"]
        table.add_row(
            edge["url"],
            state,
            serves,
            str(numbers["sockets"]),
            f"{numbers['events_delivered']:,}",
            "-" if lag is None else _ms(lag),
        )
    return table


def _webapp_line(webapp: dict[str, Any]) -> str:
    numbers = webapp["metrics"]
    if numbers is None:
        return f"webapp {webapp['url']}: unreachable ({webapp['unreachable']})"
    p50, p99 = numbers["p50_seconds"], numbers["p99_seconds"]
    latency = "" if p50 is None or p99 is None else f", latency p50 {_ms(p50)}, p99 {_ms(p99)}"
    return (
        f"webapp {webapp['url']}: {numbers['requests']:,} calls, {numbers['errors']:,} errors "
        f"({numbers['error_rate']:.1%}), {numbers['ratelimited']:,} rate-limited{latency}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
