"""`backchannel admin ...` through the real command, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import shlex
import socket
import subprocess
from pathlib import Path

from backchannel.config import StorageSettings
from backchannel.services.identity import auth
from tests.cli.conftest import PASSWORD
from tests.conftest import opened
from tests.support.cli import COMMAND, RunningServer, assert_one_line_error, clean_env, run_cli


def _json(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_admin_creates_an_org_a_workspace_people_and_a_bot(storage_args: list[str]) -> None:
    org = _json("admin", "create-org", "--name", "Acme Corporation", *storage_args)
    assert org["id"].startswith("E")
    first = _json(
        "admin",
        "create-workspace",
        "--name",
        "Acme HQ",
        "--domain",
        "acme",
        "--org",
        org["id"],
        *storage_args,
    )
    second = _json(
        "admin", "create-workspace", "--name", "Acme Labs", "--domain", "labs", *storage_args
    )
    assert first["id"].startswith("T")
    assert (first["db_shard"], first["ms_shard"]) == ("shard-0", "ms-0")
    assert (second["db_shard"], second["ms_shard"]) == ("shard-1", "ms-1")

    person = _json(
        "admin",
        "create-user",
        "--workspace",
        "acme",
        "--email",
        "alice@acme.test",
        "--name",
        "Alice",
        "--password",
        "correct-horse",
        "--admin",
        *storage_args,
    )
    assert person["id"].startswith("U") and person["token"].startswith("xoxp-")
    made_admin = _json(
        "admin", "org-admin", "--org", org["id"], "--user", person["id"], *storage_args
    )
    assert made_admin == {"org": org["id"], "admin": person["id"]}
    bot = _json(
        "admin", "create-bot", "--workspace", second["id"], "--name", "Deploy Bot", *storage_args
    )
    assert bot["id"].startswith("U") and bot["bot_id"].startswith("B")
    assert bot["token"].startswith("xoxb-")

    shards = _json("admin", "shards", *storage_args)
    placed = {s["name"]: [w["domain"] for w in s["workspaces"]] for s in shards["db_shards"]}
    assert placed == {"shard-0": ["acme"], "shard-1": ["labs"]}
    table = run_cli("admin", "shards", *storage_args)
    assert table.returncode == 0 and "shard-0" in table.stdout and "acme" in table.stdout
    # The PostgreSQL URLs carry a password (the test cluster trusts loopback and ignores it).
    assert PASSWORD not in json.dumps(shards) + table.stdout


def test_duplicates_and_unknowns_are_one_line_errors(storage_args: list[str]) -> None:
    _json("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *storage_args)
    _json(
        "admin",
        "create-user",
        "--workspace",
        "acme",
        "--email",
        "a@acme.test",
        "--name",
        "A",
        *storage_args,
    )

    assert_one_line_error(
        run_cli("admin", "create-workspace", "--name", "Again", "--domain", "acme", *storage_args),
        "the domain 'acme' is taken",
    )
    assert_one_line_error(
        run_cli(
            "admin",
            "create-user",
            "--workspace",
            "acme",
            "--email",
            "A@acme.test",
            "--name",
            "Other",
            *storage_args,
        ),
        "a@acme.test already has an account in acme",
    )
    assert_one_line_error(
        run_cli(
            "admin",
            "create-user",
            "--workspace",
            "nowhere",
            "--email",
            "x@y.test",
            "--name",
            "X",
            *storage_args,
        ),
        "no workspace 'nowhere'",
    )
    assert_one_line_error(
        run_cli(
            "admin",
            "create-workspace",
            "--name",
            "X",
            "--domain",
            "x",
            "--org",
            "E0000000000",
            *storage_args,
        ),
        "no organisation E0000000000",
    )
    assert_one_line_error(
        run_cli(
            "admin", "org-admin", "--org", "E0000000000", "--user", "U0000000000", *storage_args
        ),
        "U0000000000 has no seat in organisation E0000000000",
    )
    shards = _json("admin", "shards", *storage_args)
    assert [w["domain"] for s in shards["db_shards"] for w in s["workspaces"]] == ["acme"]


def test_bad_database_urls_are_one_line_errors(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("admin", "shards", "--database-url", "mysql://root@localhost/x"),
        "bad database URL",
        "expected postgresql://",
    )
    assert_one_line_error(
        run_cli("admin", "shards", "--database-url", "::nonsense::"), "bad database URL"
    )
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = assert_one_line_error(
        run_cli(
            "admin",
            "create-org",
            "--name",
            "X",
            "--database-url",
            f"postgresql://postgres:sekrit@127.0.0.1:{port}/main",
        ),
        "cannot open the main database",
    )
    assert "sekrit" not in line


def test_a_missing_or_unwritable_data_dir_is_a_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli(
            "admin",
            "create-user",
            "--workspace",
            "acme",
            "--email",
            "a@b.test",
            "--name",
            "A",
            "--data-dir",
            str(tmp_path / "empty"),
        ),
        "no Backchannel data in",
    )
    assert not (tmp_path / "empty").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert_one_line_error(
        run_cli("admin", "create-org", "--name", "X", "--data-dir", str(blocker / "data")),
        "cannot create data dir",
    )


def test_a_port_in_use_is_a_one_line_error_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path / "data"))
    assert_one_line_error(result, f"port {port} on 127.0.0.1 is in use")
    assert not (tmp_path / "data").exists()


def test_serve_refuses_a_second_server_on_the_same_port(tmp_path: Path) -> None:
    with RunningServer("--data-dir", str(tmp_path / "data")) as server:
        server.wait_for(" serving ")
        port = server.url.rsplit(":", 1)[1]
        result = run_cli("serve", "--port", port, "--data-dir", str(tmp_path / "other"))
        assert_one_line_error(result, f"port {port} on 127.0.0.1 is in use")


PASSPHRASE = "a long passphrase"


def _person_without_a_password(data: list[str]) -> dict:
    _json("admin", "create-workspace", "--name", "Acme", "--domain", "acme", *data)
    told = run_cli(
        "admin", "create-user", "--workspace", "acme", "--email", "ann@acme.test",
        "--name", "Ann", *data,
    )  # fmt: skip
    assert told.returncode == 0, told.stderr
    setting = f"backchannel admin set-password --workspace acme --email ann@acme.test {data[0]} "
    assert told.stdout.splitlines()[2:] == [
        "no password yet: @ann cannot sign in until you give them one with",
        f"  {setting}{shlex.quote(data[1])}",
    ]
    as_json = _json(
        "admin", "create-user", "--workspace", "acme", "--email", "bob@acme.test",
        "--name", "Bob", *data,
    )  # fmt: skip
    assert (as_json["can_sign_in"], as_json["set_password"]) == (
        False,
        f"{setting.replace('ann@', 'bob@')}{shlex.quote(data[1])}",
    )
    return as_json


async def test_a_person_made_without_a_password_is_told_how_and_signs_in_once_given_one(
    tmp_path: Path,
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    bob = _person_without_a_password(data)
    setting = shlex.split(bob["set_password"])[1:]  # the command as printed, less `backchannel`
    given = run_cli(*setting, stdin=f"{PASSPHRASE}\n")  # one line on a pipe: no prompt
    assert given.returncode == 0, given.stderr
    assert given.stdout == f"set the password of bob@acme.test ({bob['id']})\n"
    async with opened(StorageSettings(data_dir=tmp_path / "data")) as backchannel:
        token = await auth.sign_in(
            backchannel.ctx, workspace="acme", email="bob@acme.test", password=PASSPHRASE
        )
        assert (await auth.authenticate(backchannel.ctx, token)).user_id == bob["id"]
    assert_one_line_error(run_cli(*setting, stdin=""), "no password on stdin")
    with_one = _json(
        "admin", "create-user", "--workspace", "acme", "--email", "cy@acme.test",
        "--name", "Cy", "--password", "long enough", *data,
    )  # fmt: skip
    assert with_one["can_sign_in"] is True and "set_password" not in with_one


def test_set_password_on_a_terminal_asks_twice_without_echo(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    bob = _person_without_a_password(data)
    main, terminal = pty.openpty()
    # A session of its own, so the terminal it asks on is this one and never the tester's.
    process = subprocess.Popen(
        [*COMMAND, *shlex.split(bob["set_password"])[1:]],
        stdin=terminal, stdout=terminal, stderr=terminal, env=clean_env(), start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    try:
        seen = _answer(main, {"Password: ": PASSPHRASE, "confirmation: ": PASSPHRASE})
        assert process.wait(timeout=60) == 0
        seen += _read_all(main)
    finally:
        process.kill()
        os.close(main)
    assert f"set the password of bob@acme.test ({bob['id']})" in seen
    assert PASSPHRASE not in seen  # not echoed


def _answer(main: int, answers: dict[str, str]) -> str:
    """Type each answer once its prompt has appeared on the terminal; what it showed."""
    seen = ""
    for prompt, answer in answers.items():
        while not seen.endswith(prompt):
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, f"no {prompt!r} on the terminal: {seen!r}"
            seen += os.read(main, 1024).decode()
        os.write(main, f"{answer}\n".encode())
    return seen


def _read_all(main: int) -> str:
    seen = b""
    with contextlib.suppress(OSError):  # EIO once the other end is closed
        while select.select([main], [], [], 5)[0] and (chunk := os.read(main, 1024)):
            seen += chunk
    return seen.decode()
