"""Typed access to a call's arguments, failing the way Slack does when one is wrong."""

from __future__ import annotations

import re
from typing import Any

import orjson

from backchannel.errors import InvalidArgument
from backchannel.types import format_ts

_LOOSE_TS = re.compile(r"^(\d{1,10})(?:\.(\d*))?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Args:
    """The arguments of one call, whatever encoding they came in (see params.py)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __contains__(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "")

    def string(self, name: str, *, error: str = "invalid_arguments") -> str:
        """A required string; `error` is the Slack error when it is missing."""
        value = self.optional_string(name)
        if value is None or value == "":
            raise InvalidArgument(f"missing required field: {name}", slack_error=error)
        return value

    def optional_string(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a string, got {type(value).__name__}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise InvalidArgument(f"{name} must be true or false, got {value!r}")

    def number(
        self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        value = self.raw.get(name)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidArgument(f"{name} must be a whole number, got {value!r}") from None
        if number < minimum or (maximum is not None and number > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise InvalidArgument(f"{name} must be {bound}, got {number}")
        return number

    def limit(self, default: int = 100, maximum: int = 1000) -> int:
        """Slack's `limit`: 0 means the default; above the maximum is clamped, as Slack does."""
        number = self.number("limit", default, minimum=0)
        return default if number == 0 else min(number, maximum)

    def ts(self, name: str, *, error: str = "invalid_arguments") -> str:
        value = self.string(name, error=error)
        return check_ts(name, value, error=error)

    def optional_ts(self, name: str, *, error: str = "invalid_arguments") -> str | None:
        value = self.optional_string(name)
        if value in (None, ""):
            return None
        return check_ts(name, value, error=error)

    def message_item(self, *, missing_channel: str = "no_item_specified") -> tuple[str, str]:
        """The channel and timestamp naming one message, as reactions.* and pins.* take them."""
        if "channel" not in self:
            raise InvalidArgument("give the message's channel", slack_error=missing_channel)
        if "timestamp" not in self:
            raise InvalidArgument("give the message's timestamp", slack_error="no_item_specified")
        return self.string("channel"), self.ts("timestamp", error="bad_timestamp")

    def csv(self, name: str, *, error: str = "invalid_arguments") -> list[str]:
        """A required comma-separated list ("U1,U2")."""
        items = [item.strip() for item in self.string(name, error=error).split(",") if item.strip()]
        if not items:
            raise InvalidArgument(f"{name} lists nothing", slack_error=error)
        return items

    def json_list(self, name: str) -> list[Any] | None:
        """blocks and attachments: a JSON array, given as a string (form) or a list (JSON)."""
        value = self.raw.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise InvalidArgument(
                    f"{name} is not valid JSON", slack_error=f"invalid_{name}"
                ) from None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise InvalidArgument(
                f"{name} must be a JSON array of objects", slack_error=f"invalid_{name}"
            )
        return value


def check_ts(name: str, value: str, *, error: str = "invalid_arguments") -> str:
    """A ts in Slack's form: "1732412345.000100"; "1732412345" and "1732412345.5" are
    accepted too (clients send latest/oldest as numbers) and normalised to six decimals."""
    match = _LOOSE_TS.match(value.strip())
    if match is None:
        raise InvalidArgument(
            f"{name} must be a message ts like 1732412345.000100, got {value!r}",
            slack_error=error,
        )
    seconds, fraction = match.group(1), (match.group(2) or "")[:6]
    return format_ts(int(seconds) * 1_000_000 + int(fraction.ljust(6, "0")))
