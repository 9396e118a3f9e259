"""Logs: one JSON object a line when asked, and no secret in any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from backchannel.errors import ConfigError
from backchannel.logs import configure_logging, scrub

SECRETS = [
    "xoxp-Zm9vYmFyYmF6cXV4LWZyb2JuaXR6LXRoaW5n",
    "xoxc-bGlrZS1hLWJyb3dzZXItc2Vzc2lvbg",
    "T0001-aTicketValueThatOpensASocket_x",
    "hunter2-correct-horse",
    "wh1t3-s3cr3t-h00k",
]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("alembic", "websockets"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _log_everything_secret(logger: logging.Logger) -> None:
    logger.warning("handshake failed: GET /?ticket=%s HTTP/1.1", SECRETS[2])
    logger.warning("retrying with Authorization: Bearer %s", SECRETS[0])
    logger.warning("form was token=%s&password=%s", SECRETS[1], SECRETS[3])
    logger.warning("POST /services/hooks/W0001ABC/%s refused", SECRETS[4])
    logger.warning("a field holds one", extra={"url": f"http://h/api/x?token={SECRETS[0]}"})
    try:
        raise ValueError(f"bad token {SECRETS[1]}")
    except ValueError:
        logger.exception("it failed")


def test_json_lines_are_one_object_each_with_the_fields_given(captured: io.StringIO) -> None:
    configure_logging("json", "info", captured)
    log = logging.getLogger("backchannel.test")
    log.info("api call", extra={"method": "chat.postMessage", "status": 200, "ms": 1.5})
    log.debug("not at info")
    logging.getLogger("websockets.server").info("connection closed")  # ours says it better
    (line,) = captured.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "backchannel.test"
    assert entry["msg"] == "api call"
    assert (entry["method"], entry["status"], entry["ms"]) == ("chat.postMessage", 200, 1.5)
    assert entry["ts"].endswith("Z")


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_no_secret_reaches_the_log(captured: io.StringIO, log_format: str) -> None:
    configure_logging(log_format, "info", captured)
    _log_everything_secret(logging.getLogger("some.library"))
    written = captured.getvalue()
    for secret in SECRETS:
        assert secret not in written
    assert written.count("[redacted]") >= 7
    assert "ticket=[redacted]" in written
    assert "/services/hooks/W0001ABC/[redacted]" in written
    if log_format == "json":
        entries = [json.loads(line) for line in written.splitlines()]
        assert len(entries) == 6
        assert "ValueError: bad token xoxc-[redacted]" in entries[-1]["exc"]


def test_scrub_leaves_ordinary_text_alone() -> None:
    text = "channel C0001 has 3 members; tokens are stored hashed; a code review"
    assert scrub(text) == text


def test_unknown_format_or_level_is_refused(captured: io.StringIO) -> None:
    with pytest.raises(ConfigError, match="log_format must be one of text, json, got 'xml'"):
        configure_logging("xml", "info", captured)
    with pytest.raises(ConfigError, match="log_level must be one of"):
        configure_logging("json", "loud", captured)
