"""Blobs on local disk, under the data dir: files/ab/cd/<sha256> (docs/storage.md, Files).

A put writes to files/incoming/, in the same file system, hashing as it goes; then the
file is fsync'd, renamed to its content address and its directory fsync'd. A crash before
the rename leaves only a file in incoming/, which no read or listing ever sees. Disk work runs
in a thread, a chunk at a time, so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from backchannel.storage.blobs.store import (
    CHUNK_BYTES,
    BlobInfo,
    BlobNotFound,
    BlobStream,
    StoredBlob,
    check_digest,
    read_span,
)

INCOMING = "incoming"


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / INCOMING

    def path_of(self, sha256: str) -> Path:
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        temp = await asyncio.to_thread(_TempBlob, self.incoming)
        try:
            pending: list[bytes] = []
            waiting = 0
            async for chunk in chunks:
                pending.append(chunk)
                waiting += len(chunk)
                if waiting >= CHUNK_BYTES:
                    await asyncio.to_thread(temp.write, b"".join(pending))
                    pending, waiting = [], 0
            await asyncio.to_thread(temp.write, b"".join(pending))
            return await asyncio.to_thread(temp.commit, self)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(temp.discard))
            raise

    async def open(self, sha256: str, offset: int = 0, length: int | None = None) -> BlobStream:
        path = self.path_of(sha256)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        try:
            size = os.fstat(file.fileno()).st_size
            span = read_span(size, offset, length)
        except BaseException:
            file.close()
            raise
        # The open file keeps the bytes readable even if the blob is deleted meanwhile.
        return BlobStream(size, offset, span, _read(file, offset, span))

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def delete(self, sha256: str) -> bool:
        path = self.path_of(sha256)

        def unlink() -> bool:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True

        return await asyncio.to_thread(unlink)

    async def list(self) -> AsyncIterator[BlobInfo]:
        for first in await asyncio.to_thread(_hex_dirs, self.root):
            for second in await asyncio.to_thread(_hex_dirs, first):
                for info in await asyncio.to_thread(_blobs_in, second):
                    yield info

    async def sweep_incomplete(self, before: float) -> int:
        def sweep() -> int:
            removed = 0
            if not self.incoming.is_dir():
                return 0
            for entry in os.scandir(self.incoming):
                if entry.is_file() and entry.stat().st_mtime < before:
                    Path(entry.path).unlink(missing_ok=True)
                    removed += 1
            return removed

        return await asyncio.to_thread(sweep)

    async def close(self) -> None:
        return None


class _TempBlob:
    """A blob being written: a file in incoming/ and the hash of what it holds so far. Its
    steps run in threads, one at a time (a cancelled put discards only after a write ends)."""

    def __init__(self, incoming: Path) -> None:
        _make_dirs(incoming)
        self.path = incoming / f"{uuid.uuid4().hex}.part"
        self.file: BinaryIO = self.path.open("xb")
        self.hash = hashlib.sha256()
        self.size = 0
        self.lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self.lock:
            self.file.write(data)
            self.hash.update(data)
            self.size += len(data)

    def commit(self, store: LocalBlobStore) -> StoredBlob:
        with self.lock:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            blob = StoredBlob(self.hash.hexdigest(), self.size)
            final = store.path_of(blob.sha256)
            if final.is_file():  # the same bytes are already there: keep one copy
                self.path.unlink()
                return blob
            _make_dirs(final.parent)
            self.path.rename(final)
            _fsync_dir(final.parent)
            return blob

    def discard(self) -> None:
        with self.lock:
            self.file.close()
            self.path.unlink(missing_ok=True)


def _read(file: BinaryIO, offset: int, span: int) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        try:
            position, end = offset, offset + span
            while position < end:
                size = min(CHUNK_BYTES, end - position)
                data = await asyncio.to_thread(os.pread, file.fileno(), size, position)
                if not data:  # cannot shrink (content-addressed), but never spin
                    break
                position += len(data)
                yield data
        finally:
            file.close()

    return chunks()


def _make_dirs(path: Path) -> None:
    """Create `path` and any missing parents, fsyncing each new directory's parent so the
    directory itself survives a crash."""
    if path.is_dir():
        return
    _make_dirs(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hex_dirs(path: Path) -> list[Path]:
    """The two-hex-digit subdirectories (the fan-out): incoming/ and strays are not blobs."""
    if not path.is_dir():
        return []
    return [
        Path(entry.path)
        for entry in os.scandir(path)
        if len(entry.name) == 2 and entry.is_dir() and _is_hex(entry.name)
    ]


def _blobs_in(path: Path) -> list[BlobInfo]:
    found = []
    for entry in os.scandir(path):
        if len(entry.name) == 64 and _is_hex(entry.name) and entry.is_file():
            stat = entry.stat()
            found.append(BlobInfo(entry.name, stat.st_size, stat.st_mtime))
    return found


def _is_hex(name: str) -> bool:
    return all(c in "0123456789abcdef" for c in name)
