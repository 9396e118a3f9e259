"""Logs: readable lines or one JSON object a line, secrets scrubbed (docs/configuration.md, Logs).

What a process logs at info level is about the service, never about what people say: no
tokens, passwords, tickets or message text. The code keeps to that; the scrubber below is the
second line of defence, for the text a library or an exception brings along (a websocket
handshake that fails logs its request line, ticket included).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any, TextIO

import orjson

from backchannel.errors import ConfigError

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
# Libraries whose info lines repeat ours (each socket, each migration step): at info level,
# only their warnings; at debug, everything.
_CHATTY = ("alembic", "websockets")

# A Slack-shaped token (xoxp-, xoxb-, xoxc-, ...), a bearer credential, or the value of a
# query-string or form field that holds a secret; the field's name is kept, its value goes.
_SECRET = re.compile(
    r"\b(xox[a-z])-[A-Za-z0-9_.-]+"
    r"|\b(Bearer)\s+[^\s\"'\\,;]+"
    r"|\b(token|ticket|password|secret|client_secret|code)=[^&\s\"'\\,;]+"
    r"|(/services/hooks/[^/\s\"'\\]+/)[^\s\"'?\\]+",
    re.IGNORECASE,
)
REDACTED = "[redacted]"

# Attributes every LogRecord has: anything else on a record came from `extra=` and is a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def scrub(text: str) -> str:
    """`text` with every secret it holds replaced by [redacted]."""
    return _SECRET.sub(_redact, text)


def _redact(match: re.Match[str]) -> str:
    token_kind, bearer, field, hook = match.groups()
    if token_kind:
        return f"{token_kind}-{REDACTED}"
    if bearer:
        return f"{bearer} {REDACTED}"
    if field:
        return f"{field}={REDACTED}"
    return f"{hook}{REDACTED}"


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a call gave with `extra=`."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    """`2026-11-24T22:50:01.123Z WARNING backchannel.edge: message key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        extra = " ".join(f"{k}={v}" for k, v in fields_of(record).items())
        if extra:
            line = f"{line} {extra}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return scrub(line)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, msg, the call's fields, and exc if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(fields_of(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        encoded = orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        # Scrubbing the encoded line also catches a secret inside a field's value; what it
        # replaces holds no quote or backslash, so the line stays valid JSON.
        return scrub(encoded)


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def configure_logging(log_format: str, level: str, stream: TextIO | None = None) -> None:
    """Send every logger's records at `level` and above to stderr (or `stream`), formatted
    as `log_format` says. Libraries' loggers (uvicorn, websockets, nats) included."""
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"log_format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    if level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
