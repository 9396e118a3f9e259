"""An uploaded file's metadata (docs/files.md); its bytes are a blob named by `sha256`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StoredFile:
    id: str
    workspace_id: str
    user_id: str
    name: str
    title: str
    length: int  # what the uploader announced
    created: float
    state: str  # "pending", "uploaded" (bytes arrived), "complete" (shared)
    mimetype: str | None = None  # sniffed from the bytes, once they arrived
    size: int | None = None
    sha256: str | None = None
    shares: list[dict[str, Any]] = field(default_factory=list)  # [{"channel", "ts"}]

    def shared_in(self) -> list[str]:
        return list(dict.fromkeys(share["channel"] for share in self.shares))

    @property
    def is_public(self) -> bool:
        """Shared in a public channel."""
        return any(channel.startswith("C") for channel in self.shared_in())
