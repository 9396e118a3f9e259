"""Slack's file object (https://api.slack.com/types/file) of a stored file."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from backchannel.models.files import StoredFile
from backchannel.services.files.sniffing import kind_of


def private_url(base_url: str, file: StoredFile, *, download: bool = False) -> str:
    """Where the webapp serves the bytes to whoever may see the file (webapp/files.py)."""
    middle = "/download" if download else ""
    return f"{base_url.rstrip('/')}/files-pri/{file.id}{middle}/{quote(file.name)}"


def file_json(file: StoredFile, base_url: str) -> dict[str, Any]:
    """The file object."""
    kind = kind_of(file.mimetype)
    channels = file.shared_in()
    return {
        "id": file.id,
        "created": int(file.created),
        "timestamp": int(file.created),
        "name": file.name,
        "title": file.title,
        "mimetype": kind.mimetype,
        "filetype": kind.filetype,
        "pretty_type": kind.pretty_type,
        "user": file.user_id,
        "user_team": file.workspace_id,
        "editable": False,
        "size": file.size if file.size is not None else file.length,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": file.is_public,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": private_url(base_url, file),
        "url_private_download": private_url(base_url, file, download=True),
        "permalink": private_url(base_url, file),
        "channels": [c for c in channels if c[0] == "C"],
        "groups": [c for c in channels if c[0] == "G"],
        "ims": [c for c in channels if c[0] == "D"],
        "comments_count": 0,
        "has_rich_preview": False,
    }
