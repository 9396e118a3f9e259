"""Files through slack_sdk's files_upload_v2, unchanged, against a live server: the upload
URL, the bytes, the message that shares them, files.info and the private URLs, and who is
refused (docs/files.md)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from tests.conftest import Acme
from tests.support.clients import ValidatingAsyncWebClient
from tests.webapp.conftest import Globex, client_for

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def _get(url: str, token: str) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as reply:
        return reply.status, await reply.read(), dict(reply.headers)


async def test_content_upload_is_shared_in_the_channel_and_downloaded_by_a_member(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, dev: str
) -> None:
    done = await alice.files_upload_v2(
        channel=dev, content="hello, files", filename="notes.txt", initial_comment="see"
    )
    file = done["file"]
    assert file["id"].startswith("F")
    assert (file["name"], file["size"], file["mimetype"]) == ("notes.txt", 12, "text/plain")

    history = await bob.conversations_history(channel=dev)
    posted = history["messages"][0]
    assert posted["text"] == "see"
    assert [f["id"] for f in posted["files"]] == [file["id"]]

    info = await bob.files_info(file=file["id"])
    assert info["file"]["channels"] == [dev]
    status, body, headers = await _get(info["file"]["url_private_download"], acme.bob.token)
    assert (status, body) == (200, b"hello, files")
    assert headers["Content-Type"].startswith("text/plain")
    assert headers["Content-Disposition"] == "attachment"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_a_path_upload_is_typed_by_its_bytes_and_shown_inline(
    alice: ValidatingAsyncWebClient, acme: Acme, dev: str, tmp_path: Path
) -> None:
    path = tmp_path / "picture.txt"  # the name lies; the bytes are a PNG
    path.write_bytes(PNG)
    done = await alice.files_upload_v2(channel=dev, file=str(path), title="A picture")
    file = done["file"]
    shown = (file["name"], file["title"], file["mimetype"])
    assert shown == ("picture.txt", "A picture", "image/png")
    status, body, headers = await _get(file["url_private"], acme.alice.token)
    assert (status, body, headers["Content-Type"]) == (200, PNG, "image/png")
    assert headers["Content-Disposition"] == "inline"


async def test_outsiders_are_refused_the_file(
    server: str,
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
    globex: Globex,
) -> None:
    private = (await alice.conversations_create(name="secret", is_private=True))["channel"]["id"]
    file = (await alice.files_upload_v2(channel=private, content="for alice"))["file"]
    eve = client_for(server, globex.eve.token)
    for outsider, token in ((bob, acme.bob.token), (eve, globex.eve.token)):
        with pytest.raises(SlackApiError) as refused:
            await outsider.files_info(file=file["id"])
        assert refused.value.response["error"] == "file_not_found"
        status, body, _ = await _get(file["url_private_download"], token)
        assert (status, body) == (404, b"not found")
    assert (await _get(file["url_private_download"], acme.alice.token))[1] == b"for alice"


async def test_a_length_mismatch_or_an_oversized_file_is_refused(
    server: str, alice: ValidatingAsyncWebClient, dev: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await alice.files_getUploadURLExternal(filename="huge.bin", length=2 * 1024**3)
    assert refused.value.response["error"] == "file_too_large"
    for lacking in ({"length": 3}, {"filename": "a.txt"}):
        with pytest.raises(SlackApiError) as refused:
            await alice.api_call("files.getUploadURLExternal", params=lacking)
        assert refused.value.response["error"] == "invalid_arguments"

    ticket = await alice.files_getUploadURLExternal(filename="short.txt", length=10)
    async with aiohttp.ClientSession() as session:
        async with session.post(ticket["upload_url"], data=b"only five") as reply:
            assert reply.status == 400
        async with session.post(ticket["upload_url"], data=b"0123456789") as reply:
            assert reply.status == 404  # the URL was single-use
    with pytest.raises(SlackApiError) as refused:
        await alice.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=dev)
    assert refused.value.response["error"] == "file_not_found"
    assert (await alice.conversations_history(channel=dev))["messages"] == []


async def test_a_file_goes_into_a_thread_and_only_where_the_uploader_may_post(
    server: str, alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, dev: str
) -> None:
    root = (await alice.chat_postMessage(channel=dev, text="the thread"))["ts"]
    file = (await bob.files_upload_v2(channel=dev, content="reply", thread_ts=root))["file"]
    thread = (await alice.conversations_replies(channel=dev, ts=root))["messages"]
    assert [m.get("files", [{}])[0].get("id") for m in thread] == [None, file["id"]]

    private = (await alice.conversations_create(name="closed", is_private=True))["channel"]["id"]
    with pytest.raises(SlackApiError) as refused:
        await bob.files_upload_v2(channel=private, content="not for here")
    assert refused.value.response["error"] == "channel_not_found"
    assert (await alice.conversations_history(channel=private))["messages"] == []
