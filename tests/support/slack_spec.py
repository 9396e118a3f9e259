"""Validating replies against Slack's published Web API spec (../shared/slack-api-specs).

Success replies must match the method's 200 schema exactly. Error replies must be Slack's
error shape ({"ok": false, "error": "..."} plus Slack's optional response_metadata); the
spec's per-method error enums are incomplete (they omit token_revoked, ratelimited...),
so the error string itself is not checked against them.

Two readings make the 2021 spec usable as a validator, both applied everywhere:
- `{"items": [A, B]}` on a non-array means "A or B" (the spec's way to write anyOf);
- `minItems: 1` on result lists is dropped: Slack itself answers empty lists.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC = (
    Path(__file__).resolve().parents[2].parent / "shared/slack-api-specs/slack_web_openapi_v2.json"
)

# Fields Slack sends that the 2021 spec leaves out, each added here with its real shape.
KNOWN_OMISSIONS: dict[str, dict[str, Any]] = {
    # chat.update's result and every edited message in history carry "edited".
    "objs_message": {
        "edited": {
            "type": "object",
            "properties": {"user": {"type": "string"}, "ts": {"type": "string"}},
            "required": ["user", "ts"],
        },
        "channel": {"type": "string"},
    },
}
ERROR_FIELDS = {"ok", "error", "response_metadata", "needed", "provided", "req_method", "warning"}

validated: set[str] = set()  # methods whose success replies were validated this session


@functools.cache
def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        raise RuntimeError(f"Slack's spec is missing: expected {SPEC} (shared/ beside the repo)")
    spec = json.loads(SPEC.read_text())
    spec = _normalise(spec)
    for name, extra in KNOWN_OMISSIONS.items():
        spec["definitions"][name]["properties"].update(extra)
    return spec


def _normalise(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalise(value) for key, value in node.items() if key != "minItems"}
    if isinstance(out.get("items"), list) and out.get("type") != "array":
        out["anyOf"] = out.pop("items")
    return out


def has_schema(method: str) -> bool:
    return f"/{method}" in _spec()["paths"]


@functools.cache
def _validator(method: str) -> Draft4Validator:
    spec = _spec()
    operations = spec["paths"][f"/{method}"]
    operation = next(iter(operations.values()))
    schema = dict(operation["responses"]["200"]["schema"])
    schema["definitions"] = spec["definitions"]
    return Draft4Validator(schema)


def validate_reply(method: str, body: Any) -> None:
    """Raise AssertionError, listing every mismatch, when a reply breaks Slack's spec."""
    assert isinstance(body, dict), f"{method}: reply is not a JSON object: {body!r}"
    if body.get("ok") is not True:
        _validate_error(method, body)
        return
    if not has_schema(method):
        raise AssertionError(f"{method} is not in Slack's spec: nothing to validate against")
    problems = sorted(_validator(method).iter_errors(body), key=lambda e: list(e.absolute_path))
    if problems:
        details = "\n".join(
            f"  at {'/'.join(map(str, p.absolute_path)) or '<root>'}: {p.message[:300]}"
            for p in problems[:10]
        )
        raise AssertionError(f"{method} reply breaks Slack's schema:\n{details}")
    validated.add(method)


def _validate_error(method: str, body: dict[str, Any]) -> None:
    assert body.get("ok") is False, f"{method}: ok must be true or false: {body!r}"
    assert isinstance(body.get("error"), str) and body["error"], f"{method}: no error: {body!r}"
    extra = set(body) - ERROR_FIELDS
    assert not extra, f"{method}: unexpected fields in error reply: {sorted(extra)}"
    metadata = body.get("response_metadata")
    if metadata is not None:
        messages = metadata.get("messages")
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), body
