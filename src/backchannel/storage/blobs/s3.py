"""Blobs in an S3-compatible object store: `--files s3://bucket[/prefix]?endpoint=https://...`
(docs/storage.md, Files), through aiobotocore: botocore's S3 protocol and credential chain
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE...) on asyncio.

A blob is `<prefix>blobs/<sha256>`. One that fits in one part is hashed in memory and put
under its name at once; a larger one streams as a multipart upload to `<prefix>incoming/`,
is copied to its name inside the store once its hash is known, and the upload is removed. An
interrupted write leaves only incoming/ objects or an unfinished multipart upload, which no
read or listing sees and `sweep_incomplete` removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlsplit

from backchannel.errors import ConfigError
from backchannel.storage.blobs.store import (
    CHUNK_BYTES,
    BlobInfo,
    BlobNotFound,
    BlobStream,
    StoredBlob,
    check_digest,
    check_range,
    read_span,
)

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client

# A multipart upload's parts (S3: at least 5 MiB but the last, at most 10,000 of them).
PART_BYTES = 8 * 1024 * 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_QUERY_KEYS = {"endpoint", "region"}
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = ""  # "" or ending in "/"
    endpoint: str | None = None  # None: AWS itself
    region: str | None = None  # None: botocore's (AWS_REGION, the profile...)

    def describe(self) -> str:
        """For messages: credentials never appear in the URL, so all of it can be shown."""
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


def parse_s3_url(url: str) -> S3Location:
    """`s3://bucket[/prefix][?endpoint=https://host:port][&region=name]`, or a ConfigError
    that says what was expected."""
    expected = "expected s3://bucket[/prefix]?endpoint=https://host:port"
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError(f"files: {url!r} is not an S3 URL; {expected}")
    if not _BUCKET.fullmatch(parts.netloc):
        raise ConfigError(f"files: {parts.netloc!r} is not an S3 bucket name; {expected}")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - _QUERY_KEYS
    if unknown or any(len(values) != 1 for values in query.values()):
        raise ConfigError(
            f"files: {url!r} has unknown or repeated parameters; only endpoint and region"
        )
    endpoint = query.get("endpoint", [None])[0]
    if endpoint is not None:
        where = urlsplit(endpoint)
        if where.scheme not in ("http", "https") or not where.hostname:
            raise ConfigError(f"files: endpoint {endpoint!r} is not an http(s) URL; {expected}")
    prefix = parts.path.strip("/")
    region = query.get("region", [None])[0]
    return S3Location(parts.netloc, f"{prefix}/" if prefix else "", endpoint, region or None)


class S3BlobStore:
    def __init__(self, client: S3Client, location: S3Location, closing: Any) -> None:
        self.client = client
        self.location = location
        self.bucket = location.bucket
        self._closing = closing

    @classmethod
    async def connect(cls, location: S3Location) -> S3BlobStore:
        """A client for the bucket, checked reachable with the credentials it found."""
        try:  # only deployments with S3 need it: the `s3` extra
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session
        except ImportError:
            raise ConfigError(
                "files in an S3-compatible store need aiobotocore: pip install 'backchannel[s3]'"
            ) from None

        # Path-style addressing: an endpoint of one's own (MinIO, Ceph...) rarely has a DNS
        # name per bucket.
        config = AioConfig(
            s3={"addressing_style": "path" if location.endpoint else "auto"},
            retries={"mode": "standard", "max_attempts": 3},
        )
        stack = contextlib.AsyncExitStack()
        creating = get_session().create_client(
            "s3", endpoint_url=location.endpoint, region_name=location.region, config=config
        )
        client = cast("S3Client", await stack.enter_async_context(creating))
        store = cls(client, location, stack)
        try:
            await client.head_bucket(Bucket=location.bucket)
        except Exception as exc:
            await stack.aclose()
            raise ConfigError(f"files: cannot use {location.describe()}: {_reason(exc)}") from None
        return store

    def _key(self, sha256: str) -> str:
        return f"{self.location.prefix}blobs/{check_digest(sha256)}"

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredBlob:
        digest = hashlib.sha256()
        buffer = bytearray()
        size = 0
        upload: _Multipart | None = None
        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= PART_BYTES:
                    part = bytes(buffer[:PART_BYTES])
                    del buffer[:PART_BYTES]
                    await asyncio.to_thread(digest.update, part)  # hashing 8 MiB is ~20 ms
                    if upload is None:
                        upload = await _Multipart.start(self, self._incoming_key())
                    await upload.send(part)
            tail = bytes(buffer)
            digest.update(tail)
            blob = StoredBlob(digest.hexdigest(), size)
            if upload is None:
                if not await self.exists(blob.sha256):
                    await self.client.put_object(
                        Bucket=self.bucket, Key=self._key(blob.sha256), Body=tail
                    )
                return blob
            if tail:
                await upload.send(tail)
            await upload.complete()
            await self._adopt(upload.key, blob.sha256)
            return blob
        except BaseException:
            if upload is not None:
                await asyncio.shield(upload.abandon())
            raise

    def _incoming_key(self) -> str:
        """Named with when it began: the sweep needs no date from the server (some give
        none that is true for multipart uploads)."""
        return f"{self.location.prefix}incoming/{int(time.time())}-{uuid.uuid4().hex}"

    async def _adopt(self, incoming: str, sha256: str) -> None:
        """Give a finished upload its name (unless the same bytes already have it), then
        drop it. S3 copies up to 5 GB in one request: the callers' limit is far below."""
        if not await self.exists(sha256):
            await self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(sha256),
                CopySource={"Bucket": self.bucket, "Key": incoming},
            )
        await self.client.delete_object(Bucket=self.bucket, Key=incoming)

    async def open(self, sha256: str, offset: int = 0, length: int | None = None) -> BlobStream:
        key = self._key(sha256)
        if length == 0:  # no Range header says "nothing"
            size = await self._size(sha256)
            return BlobStream(size, offset, read_span(size, offset, 0), _no_chunks())
        check_range(offset, length)  # before any request
        try:
            if offset == 0 and length is None:
                response = await self.client.get_object(Bucket=self.bucket, Key=key)
            else:
                last = "" if length is None else offset + length - 1
                response = await self.client.get_object(
                    Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{last}"
                )
        except Exception as exc:
            if _code(exc) in _MISSING:
                raise BlobNotFound(sha256) from None
            if _code(exc) == "InvalidRange":  # at or past the end
                size = await self._size(sha256)
                return BlobStream(size, offset, read_span(size, offset, 0), _no_chunks())
            raise
        total = response.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else response["ContentLength"]
        return BlobStream(size, offset, read_span(size, offset, length), _body(response["Body"]))

    async def _size(self, sha256: str) -> int:
        try:
            head = await self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except Exception as exc:
            if _code(exc) in _MISSING:
                raise BlobNotFound(sha256) from None
            raise
        return head["ContentLength"]

    async def exists(self, sha256: str) -> bool:
        try:
            await self._size(sha256)
        except BlobNotFound:
            return False
        return True

    async def delete(self, sha256: str) -> bool:
        existed = await self.exists(sha256)
        await self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))
        return existed

    async def list(self) -> AsyncIterator[BlobInfo]:
        prefix = f"{self.location.prefix}blobs/"
        async for item in self._objects(prefix):
            name = item["Key"][len(prefix) :]
            if re.fullmatch(r"[0-9a-f]{64}", name):
                yield BlobInfo(name, item["Size"], item["LastModified"].timestamp())

    async def _objects(self, prefix: str) -> AsyncIterator[Any]:
        pages = self.client.get_paginator("list_objects_v2")
        async for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item

    async def sweep_incomplete(self, before: float) -> int:
        prefix = f"{self.location.prefix}incoming/"
        removed = 0
        async for item in self._objects(prefix):
            if _began(item["Key"], item["LastModified"]) < before:
                await self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                removed += 1
        pages = self.client.get_paginator("list_multipart_uploads")
        async for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if _began(upload["Key"], upload["Initiated"]) < before:
                    await self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed

    async def close(self) -> None:
        await self._closing.aclose()


@dataclass
class _Multipart:
    store: S3BlobStore
    key: str
    upload_id: str
    parts: list[dict[str, Any]]
    done: bool = False

    @classmethod
    async def start(cls, store: S3BlobStore, key: str) -> _Multipart:
        created = await store.client.create_multipart_upload(Bucket=store.bucket, Key=key)
        return cls(store, key, created["UploadId"], [])

    async def send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        sent = await self.store.client.upload_part(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    async def complete(self) -> None:
        await self.store.client.complete_multipart_upload(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": cast(Any, self.parts)},
        )
        self.done = True

    async def abandon(self) -> None:
        """A failed put leaves nothing behind, if the store can still be reached (else the
        sweep finds it)."""
        with contextlib.suppress(Exception):
            if self.done:
                await self.store.client.delete_object(Bucket=self.store.bucket, Key=self.key)
            else:
                await self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
                )


async def _body(body: Any) -> AsyncIterator[bytes]:
    async with body:
        async for chunk in body.iter_chunks(CHUNK_BYTES):
            yield chunk


async def _no_chunks() -> AsyncIterator[bytes]:
    return
    yield


def _began(key: str, reported: datetime) -> float:
    """When an incoming/ upload began: the time in its name, else what the server says."""
    stamp = key.rpartition("/")[2].partition("-")[0]
    return float(stamp) if stamp.isdigit() else reported.timestamp()


def _code(exc: Exception) -> str:
    """The S3 error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _reason(exc: Exception) -> str:
    """One line, and never a credential: botocore's messages name the key id at most."""
    return _code(exc) or type(exc).__name__ + (f": {exc}" if str(exc) else "")
