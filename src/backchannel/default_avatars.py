"""Default avatars: initials on a colour chosen from the id, for every person and bot without a
photo, as Slack gives everyone image_* URLs (docs/webapp.md, Avatars).

The URL names all the picture shows, `<base_url>/avatars/default/<colour>/<initials>.svg`:
it never changes content, so it is cached for a year, and a new name is a new URL. The
initials and the colours are the web client's (webclient/js/names.js `initials` and
`colourClass`, style.css `.hue-*`), so the picture and the client's own drawing agree.
SVG, because it scales to every size from one file and needs no image library.
"""

from __future__ import annotations

import re
from urllib.parse import quote
from xml.sax.saxutils import escape

PALETTE = ("4a154b", "1264a3", "2bac76", "e8912d", "cd2553", "5b3b8c", "0b6e7b", "7c5b27")
SIDE = 512  # its intrinsic size, in pixels: Slack's largest default (image_512)
FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MAX_INITIALS = 8  # two letters may uppercase to more ("ß" is "SS")
_COLOUR = re.compile(r"^[0-9a-f]{6}$")
PATH = "/avatars/default/"  # on the webapp, and on an edge (what an edge-only process names)
# A URL always shows the same picture: cached for a year. Served from our own origin: never
# let a browser read the bytes as anything else.
AVATAR_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
}


def initials(name: str) -> str:
    """Up to two initials: of the first two words, or the first two letters of one word."""
    words = "".join(char if char.isalnum() else " " for char in name).split()
    letters = words[0][0] + words[1][0] if len(words) > 1 else (words[0] if words else "?")[:2]
    return letters.upper()


def colour(object_id: str) -> str:
    """The id's colour, the same every time (the web client's hash of it)."""
    hashed = 0
    for char in object_id:
        hashed = (hashed * 31 + ord(char)) & 0xFFFFFFFF
    return PALETTE[hashed % len(PALETTE)]


def default_avatar_url(base_url: str, object_id: str, name: str) -> str:
    """Where the default avatar of `object_id`, named `name`, is served (absolute)."""
    shown = quote(initials(name), safe="")
    return f"{base_url.rstrip('/')}{PATH}{colour(object_id)}/{shown}.svg"


def default_avatar_at(path: str) -> str | None:
    """The picture a default avatar's URL path names (`<colour>/<initials>.svg`, decoded
    from the URL), or None when no URL of ours has that path."""
    fill, _, name = path.partition("/")
    shown, dot, extension = name.rpartition(".")
    if (dot, extension) != (".", "svg"):
        return None
    return default_avatar_svg(fill, shown)


def default_avatar_svg(fill: str, shown: str) -> str | None:
    """The picture of a default avatar's URL parts; None for parts no URL of ours has."""
    if not _COLOUR.match(fill) or not 0 < len(shown) <= MAX_INITIALS:
        return None
    if not all(char.isalnum() or char == "?" for char in shown):
        return None
    size = SIDE * 3 // 8 if len(shown) <= 2 else SIDE // 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIDE}" height="{SIDE}" '
        f'viewBox="0 0 {SIDE} {SIDE}"><rect width="{SIDE}" height="{SIDE}" fill="#{fill}"/>'
        f'<text x="50%" y="50%" dominant-baseline="central" text-anchor="middle" fill="#fff" '
        f'font-family=\'{FONTS}\' font-size="{size}" font-weight="700">'
        f"{escape(shown)}</text></svg>"
    )
