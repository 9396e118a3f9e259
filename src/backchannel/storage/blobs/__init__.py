"""Where file bytes live: the data dir on one machine, an S3-compatible object store past one
(docs/storage.md, Files). The contract is store.py; local.py and s3.py implement it."""

from __future__ import annotations

from backchannel.config import StorageSettings
from backchannel.storage.blobs.local import LocalBlobStore
from backchannel.storage.blobs.s3 import S3BlobStore, S3Location, parse_s3_url
from backchannel.storage.blobs.store import (
    BlobInfo,
    BlobNotFound,
    BlobRangeError,
    BlobStore,
    BlobStream,
    StoredBlob,
)

__all__ = [
    "LOCAL_DIR",
    "BlobInfo",
    "BlobNotFound",
    "BlobRangeError",
    "BlobStore",
    "BlobStream",
    "LocalBlobStore",
    "S3BlobStore",
    "StoredBlob",
    "check_files_setting",
    "open_blob_store",
]

LOCAL_DIR = "files"  # under the data dir


def check_files_setting(storage: StorageSettings) -> S3Location | None:
    """The object store that `files` names, or None for the data dir; a bad URL is a
    ConfigError of one line, before anything is opened."""
    return None if storage.files is None else parse_s3_url(storage.files)


async def open_blob_store(storage: StorageSettings) -> BlobStore:
    location = check_files_setting(storage)
    if location is None:
        return LocalBlobStore(storage.data_dir / LOCAL_DIR)
    return await S3BlobStore.connect(location)
