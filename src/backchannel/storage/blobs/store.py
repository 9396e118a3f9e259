"""The blob store contract: where file bytes live, addressed by their SHA-256 (docs/storage.md,
Files).

A blob is written whole or not at all: `put` streams the bytes somewhere no reader looks,
makes them durable, and only then gives them their name, so a crash never leaves a
half-written blob under a name a file's metadata could reference. The same bytes put twice
are stored once. Local disk (local.py) and S3-compatible object stores (s3.py) implement it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from backchannel.errors import InvalidArgument, NotFound

# How much is read or written at a time: large enough that a thread hop or a request costs
# little per byte, small enough that many streams at once stay light.
CHUNK_BYTES = 1024 * 1024

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(NotFound):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"no blob {sha256}", slack_error="file_not_found")


class BlobRangeError(InvalidArgument):
    """A read that starts past the blob's end (HTTP: 416, with the size)."""

    def __init__(self, offset: int, size: int) -> None:
        super().__init__(f"offset {offset} is past the blob's end ({size} bytes)")
        self.size = size


@dataclass(frozen=True)
class StoredBlob:
    """What `put` made durable: the content address and the size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob, as a sweeper lists them; `modified` is in seconds since the epoch."""

    sha256: str
    size: int
    modified: float


@dataclass
class BlobStream:
    """An open blob: its whole size, and the chunks of the range asked for. Iterate `chunks`
    to the end or `aclose()` it, which lets go of the file or the connection."""

    size: int
    offset: int
    length: int
    chunks: AsyncIterator[bytes]

    async def aclose(self) -> None:
        close = getattr(self.chunks, "aclose", None)
        if close is not None:
            await close()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks])


class BlobStore(Protocol):
    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        """Store a stream of bytes under its SHA-256; durable when it returns."""
        ...

    async def open(self, sha256: str, offset: int = 0, length: int | None = None) -> BlobStream:
        """The bytes from `offset`, `length` of them (to the end when None or past it).
        BlobNotFound when there is no such blob; BlobRangeError when `offset` is past the
        end."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> bool:
        """Remove a blob; False when there was none."""
        ...

    def list(self) -> AsyncIterator[BlobInfo]:
        """Every complete blob, in no particular order; never a write in progress."""
        ...

    async def sweep_incomplete(self, before: float) -> int:
        """Remove what writes interrupted before `before` (seconds since the epoch) left
        behind; how many pieces went."""
        ...

    async def close(self) -> None: ...


def check_digest(sha256: str) -> str:
    """A content address is 64 lowercase hex digits: anything else names no blob (and never
    a path outside the store)."""
    if not _DIGEST.fullmatch(sha256):
        raise InvalidArgument(f"a blob is named by 64 lowercase hex digits, got {sha256!r}")
    return sha256


def check_range(offset: int, length: int | None) -> None:
    if offset < 0 or (length is not None and length < 0):
        raise InvalidArgument(f"a range is not negative, got offset {offset}, length {length}")


def read_span(size: int, offset: int, length: int | None) -> int:
    """How many bytes a read from `offset` gets from a blob of `size` bytes."""
    check_range(offset, length)
    if offset > size:
        raise BlobRangeError(offset, size)
    left = size - offset
    return left if length is None else min(length, left)
