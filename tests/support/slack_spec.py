"""Validating replies against Slack's published Web API spec (../shared/slack-api-specs).

Success replies must match the method's 200 schema exactly. Error replies must be Slack's
error shape ({"ok": false, "error": "..."} plus Slack's optional response_metadata); the
spec's per-method error enums are incomplete (they omit token_revoked, ratelimited...),
so the error string itself is not checked against them.

Two readings make the 2021 spec usable as a validator, both applied everywhere:
- `{"items": [A, B]}` means "A or B" (the spec's way to write anyOf): on a non-array the
  value is A or B, on an array (pins.list) every item is;
- `minItems: 1` on result lists is dropped: Slack itself answers empty lists.
And `_patch` adds what Slack sends but the 2021 spec leaves out, each with its reason.
Methods the 2021 spec dropped (rtm.start) come from scripts/slack_spec_additions.json:
Slack's own earlier descriptions of them, each saying where it comes from; so do the few
object fields Slack has added since (context_team_id).
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

SPEC = (
    Path(__file__).resolve().parents[2].parent / "shared/slack-api-specs/slack_web_openapi_v2.json"
)
ADDITIONS = Path(__file__).resolve().parents[2] / "scripts/slack_spec_additions.json"
sys.path.insert(0, str(ADDITIONS.parent))
from sync_slack_spec import with_added_fields  # noqa: E402  (scripts/ is not a package)

# Message fields Slack sends that the 2021 spec leaves out, with their real shapes.
MESSAGE_OMISSIONS: dict[str, Any] = {
    # Every edited message carries "edited" (chat.update, history, replies).
    "edited": {
        "type": "object",
        "properties": {"user": {"type": "string"}, "ts": {"type": "string"}},
        "required": ["user", "ts"],
    },
    "channel": {"type": "string"},
}
# What a thread's messages carry in conversations.replies besides the spec's short list.
REPLY_FIELDS = (
    "blocks",
    "attachments",
    "bot_id",
    "subtype",
    "client_msg_id",
    "reactions",
    "edited",
    "latest_reply",
    "reply_users",
    "username",
    "icons",
    "metadata",
    "files",
)
RESPONSE_METADATA = {
    "type": "object",
    "properties": {"messages": {"type": "array", "items": {"type": "string"}}},
    "required": ["messages"],
    "additionalProperties": False,
}

SCOPE_FIELDS = {"needed": {"type": "string"}, "provided": {"type": "string"}}

validated: set[str] = set()  # methods whose success replies were validated this session


@functools.cache
def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        raise RuntimeError(f"Slack's spec is missing: expected {SPEC} (shared/ beside the repo)")
    raw = json.loads(SPEC.read_text())
    raw["paths"] = {**json.loads(ADDITIONS.read_text())["paths"], **raw["paths"]}
    raw["definitions"] = with_added_fields(raw["definitions"])
    spec = _normalise(raw)
    _patch(spec)
    return spec


def _patch(spec: dict[str, Any]) -> None:
    definitions, paths = spec["definitions"], spec["paths"]
    message = definitions["objs_message"]["properties"]
    message.update(MESSAGE_OMISSIONS)
    # Legacy attachments carry many more fields than the spec lists (text, color, title...).
    message["attachments"]["items"]["additionalProperties"] = True
    # chat.update's message.blocks is written as an object: it is the usual array of blocks.
    update = paths["/chat.update"]["post"]["responses"]["200"]["schema"]
    update["properties"]["message"]["properties"]["blocks"] = {"$ref": "#/definitions/blocks"}
    # History and replies page with response_metadata.next_cursor (Slack's own docs).
    for method in ("/conversations.history", "/conversations.replies"):
        schema = paths[method]["get"]["responses"]["200"]["schema"]
        schema["properties"]["response_metadata"] = {"$ref": "#/definitions/objs_response_metadata"}
    # bots.info: a bot of no app (admin create-bot) has no app_id; Slack's reference now
    # requires only id, deleted and updated (docs.slack.dev/reference/methods/bots.info).
    bot = paths["/bots.info"]["get"]["responses"]["200"]["schema"]["properties"]["bot"]
    bot["required"].remove("app_id")
    replies = paths["/conversations.replies"]["get"]["responses"]["200"]["schema"]
    for kind in replies["properties"]["messages"]["items"]["anyOf"]:
        kind["properties"].update(
            {
                name: {"$ref": f"#/definitions/objs_message/properties/{name}"}
                for name in REPLY_FIELDS
            }
        )


def _normalise(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalise(value) for key, value in node.items() if key != "minItems"}
    if isinstance(out.get("items"), list):
        if out.get("type") == "array":
            out["items"] = {"anyOf": out["items"]}
        else:
            out["anyOf"] = out.pop("items")
    return out


def has_schema(method: str) -> bool:
    return f"/{method}" in _spec()["paths"]


@functools.cache
def _validator(method: str, outcome: str = "200") -> Draft4Validator:
    """The method's success ("200") or error ("default") schema as a validator."""
    spec = _spec()
    operations = spec["paths"][f"/{method}"]
    operation = next(iter(operations.values()))
    schema = json.loads(json.dumps(operation["responses"][outcome]["schema"]))
    if outcome == "default":
        # The error enums are incomplete; Slack also adds response_metadata to errors, and
        # to invalid_blocks and invalid_attachments the same lines as `errors`. Every
        # method's missing_scope carries `needed` and `provided` (most error schemas
        # leave them out; @slack/web-api's generated reply types have them on every one).
        schema["properties"]["error"] = {"type": "string", "minLength": 1}
        schema["properties"].setdefault("response_metadata", RESPONSE_METADATA)
        schema["properties"].setdefault("errors", {"type": "array", "items": {"type": "string"}})
        schema["properties"].update(SCOPE_FIELDS)
    schema["definitions"] = spec["definitions"]
    return Draft4Validator(schema)


def _check(method: str, validator: Draft4Validator, body: dict[str, Any]) -> None:
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if problems:
        details = "\n".join(_describe(problem) for problem in problems[:10])
        raise AssertionError(f"{method} reply breaks Slack's schema:\n{details}")


def _describe(problem: ValidationError) -> str:
    where = "/".join(map(str, problem.absolute_path)) or "<root>"
    line = f"  at {where}: {problem.message[:200]}"
    # For "any of" failures, say why each alternative failed.
    for sub in sorted(problem.context or [], key=lambda e: len(e.absolute_path))[:6]:
        sub_where = "/".join(map(str, sub.absolute_path)) or "<root>"
        line += f"\n      option {sub.schema_path[0]}: at {sub_where}: {sub.message[:200]}"
    return line


def validate_reply(method: str, body: Any) -> None:
    """Raise AssertionError, listing every mismatch, when a reply breaks Slack's spec."""
    assert isinstance(body, dict), f"{method}: reply is not a JSON object: {body!r}"
    if body.get("ok") is not True:
        _validate_error(method, body)
        return
    if not has_schema(method):
        raise AssertionError(f"{method} is not in Slack's spec: nothing to validate against")
    _check(method, _validator(method), body)
    validated.add(method)


def _validate_error(method: str, body: dict[str, Any]) -> None:
    assert body.get("ok") is False, f"{method}: ok must be true or false: {body!r}"
    if body.get("error") == "missing_scope":
        assert set(SCOPE_FIELDS) <= set(body), f"{method}: missing_scope without {SCOPE_FIELDS}"
    else:
        assert not set(SCOPE_FIELDS) & set(body), f"{method}: scope fields without missing_scope"
    if has_schema(method):
        _check(method, _validator(method, "default"), body)
        return
    assert isinstance(body.get("error"), str) and body["error"], f"{method}: no error: {body!r}"
    extra = set(body) - {"ok", "error", "response_metadata", "req_method", *SCOPE_FIELDS}
    assert not extra, f"{method}: unexpected fields in error reply: {sorted(extra)}"
