"""The blob store (storage/blobs/): one contract, the same tests on local disk and on a real
S3-compatible server (tests/support/s3.py)."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backchannel.app import open_backchannel
from backchannel.config import Settings, StorageSettings
from backchannel.errors import InvalidArgument
from backchannel.storage.blobs import (
    BlobNotFound,
    BlobRangeError,
    BlobStore,
    LocalBlobStore,
    S3BlobStore,
    open_blob_store,
)
from backchannel.storage.blobs.store import CHUNK_BYTES
from tests.support.s3 import CREDENTIALS, S3Server

BACKENDS = ["local", "s3"]
MB = 1024 * 1024


def files_setting(backend: str, s3: S3Server | None) -> str | None:
    if backend == "local":
        return None
    assert s3 is not None
    return f"s3://{s3.create_bucket()}/team-files?endpoint={s3.endpoint}"


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> StorageSettings:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3 = request.getfixturevalue("s3_server") if request.param == "s3" else None
    return StorageSettings(data_dir=tmp_path / "data", files=files_setting(request.param, s3))


@pytest.fixture
async def blobs(storage: StorageSettings) -> AsyncIterator[BlobStore]:
    store = await open_blob_store(storage)
    try:
        yield store
    finally:
        await store.close()


async def stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def pieces(total: int, size: int) -> AsyncIterator[bytes]:
    """`total` bytes that differ from chunk to chunk, `size` at a time."""
    sent = 0
    while sent < total:
        count = min(size, total - sent)
        yield (sent // size % 251).to_bytes(1, "big") * count
        sent += count


async def read(blobs: BlobStore, sha256: str, offset: int = 0, length: int | None = None) -> bytes:
    return await (await blobs.open(sha256, offset, length)).read_all()


async def test_put_then_read_by_content_address(blobs: BlobStore) -> None:
    stored = await blobs.put(stream(b"hello ", b"", b"world"))
    assert stored.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert stored.size == 11
    assert await blobs.exists(stored.sha256)
    assert await read(blobs, stored.sha256) == b"hello world"


async def test_an_empty_blob(blobs: BlobStore) -> None:
    stored = await blobs.put(stream())
    assert (stored.sha256, stored.size) == (hashlib.sha256(b"").hexdigest(), 0)
    assert await read(blobs, stored.sha256) == b""


async def test_range_reads(blobs: BlobStore) -> None:
    data = bytes(range(256)) * 4
    sha = (await blobs.put(stream(data))).sha256
    opened = await blobs.open(sha, 10, 20)
    assert (opened.size, opened.offset, opened.length) == (1024, 10, 20)
    assert await opened.read_all() == data[10:30]
    assert await read(blobs, sha, 1000) == data[1000:]
    assert await read(blobs, sha, 1000, 500) == data[1000:]  # past the end: to the end
    assert await read(blobs, sha, 0, 1) == data[:1]
    assert await read(blobs, sha, 5, 0) == b""
    assert await read(blobs, sha, 1024) == b""  # at the end: nothing
    with pytest.raises(BlobRangeError) as past:
        await blobs.open(sha, 1025)
    assert past.value.size == 1024
    with pytest.raises(InvalidArgument):
        await blobs.open(sha, -1)


async def test_the_same_bytes_are_stored_once(blobs: BlobStore) -> None:
    first = await blobs.put(stream(b"same bytes"))
    second = await blobs.put(stream(b"same ", b"bytes"))
    assert first == second
    assert [info.sha256 async for info in blobs.list()] == [first.sha256]
    assert await blobs.sweep_incomplete(time.time() + 3600) == 0  # nothing left behind


async def test_delete(blobs: BlobStore) -> None:
    sha = (await blobs.put(stream(b"to be deleted"))).sha256
    assert await blobs.delete(sha)
    assert not await blobs.exists(sha)
    with pytest.raises(BlobNotFound):
        await blobs.open(sha)
    assert not await blobs.delete(sha)
    assert [info async for info in blobs.list()] == []


async def test_a_missing_blob_and_a_name_that_is_no_address(blobs: BlobStore) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not await blobs.exists(missing)
    with pytest.raises(BlobNotFound):
        await blobs.open(missing)
    for bad in ("../../main.sqlite3", missing.upper(), missing[:-1]):
        with pytest.raises(InvalidArgument):
            await blobs.open(bad)
        with pytest.raises(InvalidArgument):
            await blobs.delete(bad)


async def test_a_big_blob_streams_both_ways(blobs: BlobStore) -> None:
    """20 MB in uneven chunks (on S3: a multipart upload of 8 MiB parts), read back a chunk
    at a time, never whole."""
    total = 20 * MB
    expected = hashlib.sha256()
    async for chunk in pieces(total, 300_000):
        expected.update(chunk)
    stored = await blobs.put(pieces(total, 300_000))
    assert (stored.sha256, stored.size) == (expected.hexdigest(), total)
    opened = await blobs.open(stored.sha256)
    got, largest = hashlib.sha256(), 0
    async for chunk in opened.chunks:
        got.update(chunk)
        largest = max(largest, len(chunk))
    assert got.hexdigest() == stored.sha256
    assert largest <= CHUNK_BYTES
    middle = await read(blobs, stored.sha256, 9 * MB - 5, 10)
    assert (
        middle
        == b"".join([chunk async for chunk in pieces(total, 300_000)])[9 * MB - 5 : 9 * MB + 5]
    )
    assert await blobs.sweep_incomplete(time.time() + 3600) == 0


async def test_listing_for_a_sweeper(blobs: BlobStore) -> None:
    before = time.time() - 60
    stored = [await blobs.put(stream(f"blob {n}".encode() * n)) for n in (1, 2, 3)]
    listed = {info.sha256: info async for info in blobs.list()}
    assert sorted(listed) == sorted(blob.sha256 for blob in stored)
    for blob in stored:
        assert listed[blob.sha256].size == blob.size
        assert before < listed[blob.sha256].modified < time.time() + 60


async def test_a_failed_put_leaves_nothing(blobs: BlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        async for chunk in pieces(10 * MB, MB):
            yield chunk
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await blobs.put(broken())
    assert [info async for info in blobs.list()] == []
    assert await blobs.sweep_incomplete(time.time() + 3600) == 0


CRASHING_PUT = """
import asyncio, sys
from pathlib import Path
from backchannel.config import StorageSettings
from backchannel.storage.blobs import open_blob_store

async def slow():
    for _ in range(9):  # past one S3 part: an upload is under way
        yield b"x" * (1024 * 1024)
    print("written", flush=True)
    await asyncio.sleep(3600)
    yield b"never"

async def main():
    files = sys.argv[2] or None
    store = await open_blob_store(StorageSettings(data_dir=Path(sys.argv[1]), files=files))
    await store.put(slow())

asyncio.run(main())
"""


@pytest.mark.slow  # starts a process, to kill it
async def test_a_put_killed_midway_is_never_a_blob(storage: StorageSettings) -> None:
    """SIGKILL in the middle of a put: what it wrote is never listed nor readable as a blob,
    survives a sweep within the grace period, and goes in the next one after."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_PUT,
        str(storage.data_dir),
        storage.files or "",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        assert await process.stdout.readline() == b"written\n"
    finally:
        process.kill()
        await process.wait()
    store = await open_blob_store(storage)
    try:
        assert [info async for info in store.list()] == []
        assert not await store.exists(hashlib.sha256(b"x" * 9 * 1024 * 1024).hexdigest())
        assert await store.sweep_incomplete(time.time() - 3600) == 0  # still in its grace
        assert await store.sweep_incomplete(time.time() + 3600) == 1
        assert await store.sweep_incomplete(time.time() + 3600) == 0
    finally:
        await store.close()


async def test_local_blobs_live_under_the_data_dir(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "files")
    sha = (await store.put(stream(b"on disk"))).sha256
    assert (tmp_path / "files" / sha[:2] / sha[2:4] / sha).read_bytes() == b"on disk"
    assert list((tmp_path / "files" / "incoming").iterdir()) == []


async def test_a_leftover_temporary_file_is_not_a_blob(tmp_path: Path) -> None:
    """A crash between the write and the rename leaves a whole file in incoming/, named by
    no content address: reads and listings never see it."""
    store = LocalBlobStore(tmp_path / "files")
    data = b"complete but never renamed"
    sha = hashlib.sha256(data).hexdigest()
    (tmp_path / "files" / "incoming").mkdir(parents=True)
    (tmp_path / "files" / "incoming" / f"{sha}.part").write_bytes(data)
    (tmp_path / "files" / "incoming" / sha).write_bytes(data)
    assert not await store.exists(sha)
    assert [info async for info in store.list()] == []
    assert await store.sweep_incomplete(time.time() + 60) == 2


async def test_the_composition_root_builds_the_configured_store(
    storage: StorageSettings,
) -> None:
    backchannel = await open_backchannel(Settings(storage=storage))
    try:
        blobs = backchannel.ctx.blobs
        assert isinstance(blobs, S3BlobStore if storage.files else LocalBlobStore)
        stored = await blobs.put(stream(b"through the service context"))
        assert await read(blobs, stored.sha256) == b"through the service context"
    finally:
        await backchannel.close()
