"""Scraping a running process's /metrics in tests (docs/metrics.md)."""

from __future__ import annotations

import httpx

from backchannel.metrics.reading import Page, parse_page


async def scrape(http: httpx.AsyncClient, base_url: str) -> Page:
    """The /metrics page of a webapp (http://...) or an edge (ws://...), checked to be one."""
    response = await http.get(f"{base_url.replace('ws://', 'http://', 1)}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse_page(response.text)
