"""Fuzzing every published method (schemathesis over /api/openapi.json).

Whatever schemathesis sends, the server answers with no 5xx and with Slack-shaped JSON:
`{"ok": true, ...}`, or `{"ok": false, "error": "<string>"}`. SQLite only: this tests the
HTTP layer's handling of input, not storage engines.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.cli import RunningServer, run_cli

pytestmark = pytest.mark.slow  # a server process, fuzzed at every method


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    run_cli(
        "admin",
        "create-workspace",
        "--name",
        "Fuzz",
        "--domain",
        "fuzz",
        "--data-dir",
        str(data),
        "--json",
    )
    made = run_cli(
        "admin",
        "create-user",
        "--workspace",
        "fuzz",
        "--email",
        "f@fuzz.test",
        "--name",
        "Fuzz",
        "--data-dir",
        str(data),
        "--json",
    )
    token = json.loads(made.stdout)["token"]
    with RunningServer("--no-rate-limits", "--data-dir", str(data)) as server:
        server.wait_for(" serving ")
        yield server.url, token
        assert server.stop(signal.SIGTERM) == 0


@pytest.fixture(scope="module")
def published(fuzz_target: tuple[str, str]) -> schemathesis.BaseSchema:
    url, _ = fuzz_target
    return schemathesis.openapi.from_url(f"{url}/api/openapi.json")


schema = schemathesis.pytest.from_fixture("published")


# derandomize: the same examples on every run (a hash of the test chooses them), so that a
# run passes or fails by the code alone, never by the draw.
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_breaks_the_api(case: schemathesis.Case, fuzz_target: tuple[str, str]) -> None:
    _, token = fuzz_target
    response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    sent = case.as_curl_command()
    assert response.status_code < 500, (sent, response.text)
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"not JSON: {response.status_code} {response.text!r} for {sent}"
        ) from None
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool), body
    if body["ok"] is False:
        assert isinstance(body.get("error"), str) and body["error"], body


def test_the_fuzzer_reaches_every_method(published: schemathesis.BaseSchema) -> None:
    operations = {result.ok().path for result in published.get_all_operations()}
    assert len(operations) >= 40
