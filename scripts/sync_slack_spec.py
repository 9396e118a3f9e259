"""Copy the part of Slack's Web API spec that Backchannel implements into the package.

Backchannel publishes it at /api/openapi.json. Run after adding a method:
    python scripts/sync_slack_spec.py
Reads ../shared/slack-api-specs/slack_web_openapi_v2.json (Slack's spec, MIT licence), and
for methods that spec lacks (rtm.start), Slack's older descriptions kept in
scripts/slack_spec_additions.json (each says where it comes from), which also adds the few
fields Slack's objects have gained since (context_team_id).
tests/webapp/test_openapi.py fails when the packaged copy is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared/slack-api-specs/slack_web_openapi_v2.json"
TARGET = ROOT / "src/backchannel/webapp/slack_web_api.json"
ADDITIONS = ROOT / "scripts/slack_spec_additions.json"


def additions() -> dict[str, Any]:
    """Paths the 2021 spec lacks, from Slack's earlier specs (see the file's x- notes)."""
    return dict(json.loads(ADDITIONS.read_text())["paths"])


def with_added_fields(definitions: dict[str, Any]) -> dict[str, Any]:
    """Slack's object schemas, with the fields its API returns now but the 2021 spec lacks
    (the file's `definition_fields`, each with a note of where it comes from)."""
    added = json.loads(ADDITIONS.read_text()).get("definition_fields", {})
    definitions = json.loads(json.dumps(definitions))  # a copy, changed below
    for name, fields in added.items():
        if name.startswith("x-"):
            continue
        schema = definitions[name]
        for variant in schema.get("items", [schema]):
            variant["properties"].update(fields)
    return definitions


def subset(spec: dict[str, Any], methods: list[str]) -> dict[str, Any]:
    paths = {**additions(), **spec["paths"]}
    return {
        "swagger": spec["swagger"],
        "info": {
            **spec["info"],
            "description": "The subset of Slack's Web API that Backchannel "
            "implements, from Slack's published spec (MIT licence).",
        },
        "basePath": "/api",
        "consumes": ["application/x-www-form-urlencoded", "application/json"],
        "produces": ["application/json"],
        "paths": {f"/{m}": paths[f"/{m}"] for m in sorted(methods) if f"/{m}" in paths},
        "definitions": with_added_fields(spec["definitions"]),
    }


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from backchannel.webapp import methods  # noqa: F401  (registers every method)
    from backchannel.webapp.registry import METHODS

    spec = json.loads(SOURCE.read_text())
    TARGET.write_text(json.dumps(subset(spec, list(METHODS)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {TARGET.relative_to(ROOT)} with {len(METHODS)} methods")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
