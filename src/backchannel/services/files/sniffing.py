"""A file's type from its first bytes, never from what the uploader says (docs/files.md).

The magic numbers of a handful of common types; text that decodes as UTF-8 without NULs is
text/plain; everything else application/octet-stream. Only the types below are shown inline
by the webapp, so a type missed here is merely downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

# How many leading bytes the sniff looks at.
HEAD_BYTES = 512


@dataclass(frozen=True)
class Kind:
    mimetype: str
    filetype: str  # Slack's short name ("png", "pdf", "text", "binary")
    pretty_type: str


PNG = Kind("image/png", "png", "PNG")
JPEG = Kind("image/jpeg", "jpg", "JPEG")
GIF = Kind("image/gif", "gif", "GIF")
WEBP = Kind("image/webp", "webp", "WebP")
PDF = Kind("application/pdf", "pdf", "PDF")
ZIP = Kind("application/zip", "zip", "Zip")
GZIP = Kind("application/gzip", "gzip", "GZip")
TEXT = Kind("text/plain", "text", "Plain Text")
BINARY = Kind("application/octet-stream", "binary", "Binary")

_MAGIC: tuple[tuple[bytes, Kind], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"%PDF-", PDF),
    (b"PK\x03\x04", ZIP),
    (b"\x1f\x8b", GZIP),
)
_BY_MIMETYPE = {kind.mimetype: kind for kind in (PNG, JPEG, GIF, WEBP, PDF, ZIP, GZIP, TEXT)}
# Images a browser may show inline: nothing in them runs.
INLINE_IMAGES = frozenset({PNG.mimetype, JPEG.mimetype, GIF.mimetype, WEBP.mimetype})


def sniff(head: bytes) -> Kind:
    """The kind of a file whose first bytes (up to HEAD_BYTES) are `head`."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return TEXT if _is_text(head) else BINARY


def kind_of(mimetype: str | None) -> Kind:
    return _BY_MIMETYPE.get(mimetype or "", BINARY)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as cut:
        # A character cut at the end of the head is still text.
        return cut.start >= len(head) - 3 and cut.reason == "unexpected end of data"
    return True
