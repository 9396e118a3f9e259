"""/api/openapi.json: the registered methods, described by Slack's own spec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from backchannel.webapp.openapi import openapi_document
from backchannel.webapp.registry import METHODS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import sync_slack_spec  # noqa: E402


def test_the_packaged_spec_is_in_sync_with_slacks() -> None:
    slack = json.loads(sync_slack_spec.SOURCE.read_text())
    expected = sync_slack_spec.subset(slack, list(METHODS))
    packaged = json.loads(sync_slack_spec.TARGET.read_text())
    assert packaged == json.loads(json.dumps(expected)), (
        "run `python scripts/sync_slack_spec.py` after adding a method"
    )


def test_every_registered_method_is_described() -> None:
    described = {path.removeprefix("/") for path in openapi_document()["paths"]}
    assert described == {name for name, method in METHODS.items() if method.published}


async def test_the_document_is_served(server: str) -> None:
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{server}/api/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["swagger"] == "2.0" and document["basePath"] == "/api"
    assert document["host"] == server.removeprefix("http://")
    assert "/auth.test" in document["paths"]
