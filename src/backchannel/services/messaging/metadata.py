"""Message metadata: an app's {"event_type", "event_payload"} on a message, unseen by people
(chat.postMessage's `metadata`; docs/webapp.md).

It is kept with the message and returned by conversations.history and .replies only when
asked with include_all_metadata, and in the poster's own chat.postMessage reply.
"""

from __future__ import annotations

from typing import Any

import orjson

from backchannel.errors import InvalidArgument
from backchannel.nesting import MAX_INPUT_DEPTH, json_pointer, too_deep

# Slack publishes no number; this leaves room for any payload an app means as metadata.
MAX_METADATA_BYTES = 16_384


def read_metadata(value: Any) -> dict[str, Any] | None:
    """`metadata` as given: a JSON object, or its text (a form). None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise _invalid("metadata is not valid JSON", "invalid_metadata_format") from None
    if not isinstance(value, dict):
        raise _invalid("metadata must be a JSON object", "invalid_metadata_format")
    if (deep := too_deep(value, MAX_INPUT_DEPTH)) is not None:  # orjson writes only 254
        where = json_pointer(deep)
        raise _invalid(
            f"metadata is nested more than {MAX_INPUT_DEPTH} levels deep at {where}",
            "invalid_metadata_format",
        )
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type.strip():
        raise _invalid("metadata needs an event_type string", "invalid_metadata_schema")
    if not isinstance(payload, dict):
        raise _invalid("metadata needs an event_payload object", "invalid_metadata_schema")
    metadata = {"event_type": event_type, "event_payload": payload}
    size = len(orjson.dumps(metadata))
    if size > MAX_METADATA_BYTES:
        raise _invalid(
            f"metadata is {size} bytes; at most {MAX_METADATA_BYTES}", "metadata_too_large"
        )
    return metadata


def _invalid(message: str, slack_error: str) -> InvalidArgument:
    return InvalidArgument(message, slack_error=slack_error)
