"""Profile photos: users.setPhoto and users.deletePhoto, each pushed as user_change.

A photo is stored as uploaded, on the workspace's shard, and served by the webapp at
`<base_url>/avatars/<user_id>/<hash>.<ext>` to anyone with the URL, as Slack's are. The
profile keeps the hash and that absolute URL, written at upload time from the webapp's
public base URL: every reader of a profile (the Web API, rtm.start, and the user_change
events built here and in profiles.py, which know no base URL) then gives the same absolute
URLs, as Slack clients need. See docs/webapp.md (Avatars) and docs/realtime.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from backchannel.errors import AuthError, InvalidArgument, NotFound
from backchannel.models import TokenInfo, User
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.people import profiles
from backchannel.storage.shard import avatars
from backchannel.storage.shard.avatars import Avatar
from backchannel.types import is_keyed_id

MAX_IMAGE_BYTES = 1024 * 1024
HASH_DIGITS = 12  # Slack's avatar_hash: 12 hex digits
# The formats every client can show, by their first bytes (what a client declares is not
# trusted: slack_sdk sends every file as application/octet-stream).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
_HASH = re.compile(rf"^[0-9a-f]{{{HASH_DIGITS}}}$")
AVATAR_FIELDS = ("avatar_hash", "avatar_url")  # what a photo adds to the stored profile


class BadImage(InvalidArgument):
    slack_error = "bad_image"


class ImageTooLarge(InvalidArgument):
    slack_error = "too_large"


@dataclass(frozen=True)
class Crop:
    """users.setPhoto's square crop box, in pixels of the uploaded image."""

    x: int | None
    y: int | None
    w: int | None


def check_crop(x: str | None, y: str | None, w: str | None) -> Crop:
    """The crop arguments as numbers (each optional); invalid_arguments names a bad one."""
    return Crop(_pixels("crop_x", x, 0), _pixels("crop_y", y, 0), _pixels("crop_w", w, 1))


def check_image(image: bytes) -> tuple[str, str]:
    """The image's content type and file extension; bad_image or too_large otherwise."""
    if not image:
        raise BadImage("give the image as a file part named image (multipart/form-data)")
    if len(image) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"the image must be at most {MAX_IMAGE_BYTES} bytes, got {len(image)}")
    for signature, content_type, extension in _SIGNATURES:
        if image.startswith(signature):
            return content_type, extension
    raise BadImage("the image must be a PNG, JPEG or GIF file")


async def set_photo(
    ctx: ServiceContext, caller: TokenInfo, image: bytes, *, base_url: str, crop: Crop
) -> User:
    """Make `image` the caller's photo; the updated user, announced as user_change.

    The crop box is checked but not applied: cutting an image needs an image library, which
    Backchannel does not depend on. Clients crop before uploading (Slack's own do), and
    every image_* URL shows the whole image, which clients scale.
    """
    _check_person(caller)
    content_type, extension = check_image(image)
    digest = hashlib.sha256(image).hexdigest()[:HASH_DIGITS]
    url = f"{base_url.rstrip('/')}/avatars/{caller.user_id}/{digest}.{extension}"
    now = ctx.clock()
    async with ctx.router.read(ShardFor(caller.workspace_id)) as conn:
        await profiles.acting_user_txn(conn, caller)
    relay_to = await profiles.relay_targets(ctx, caller.workspace_id, caller.user_id)
    # The photo lives on the shard of the person's id, whichever workspace's seat set it
    # (get_photo looks there); it is stored before any profile names it.
    async with ctx.router.write(ShardFor(caller.user_id)) as conn:
        await avatars.put_avatar_txn(conn, Avatar(caller.user_id, digest, content_type, image, now))
    async with ctx.router.write(ShardFor(caller.workspace_id)) as conn:
        actor = await profiles.acting_user_txn(conn, caller)
        profile = {**actor.profile, "avatar_hash": digest, "avatar_url": url}
        stored = replace(actor, profile=profile, updated=now)
        await profiles.store_profile_txn(ctx, conn, stored, now, relay_to)
    return await _spread(ctx, stored, now)


async def delete_photo(ctx: ServiceContext, caller: TokenInfo) -> User:
    """Remove the caller's photo (user_change); without one, nothing happens."""
    _check_person(caller)
    now = ctx.clock()
    relay_to = await profiles.relay_targets(ctx, caller.workspace_id, caller.user_id)
    async with ctx.router.write(ShardFor(caller.workspace_id)) as conn:
        actor = await profiles.acting_user_txn(conn, caller)
        if not any(field in actor.profile for field in AVATAR_FIELDS):
            stored = None
        else:
            profile = {k: v for k, v in actor.profile.items() if k not in AVATAR_FIELDS}
            stored = replace(actor, profile=profile, updated=now)
            await profiles.store_profile_txn(ctx, conn, stored, now, relay_to)
    # No profile names the photo any more: it can go.
    async with ctx.router.write(ShardFor(caller.user_id)) as conn:
        await avatars.delete_avatar_txn(conn, caller.user_id)
    if stored is None:
        return profiles.with_current_status(actor, now)
    return await _spread(ctx, stored, now)


async def get_photo(ctx: ServiceContext, user_id: str, avatar_hash: str) -> Avatar | None:
    """The photo a URL names, for anyone; None for a wrong id, an old hash or none at all."""
    if not is_keyed_id(user_id) or not _HASH.match(avatar_hash):
        return None
    try:
        async with ctx.router.read(ShardFor(user_id)) as conn:
            return await avatars.get_avatar_txn(conn, user_id, avatar_hash)
    except NotFound:  # no workspace owns the id's keyspace
        return None


async def _spread(ctx: ServiceContext, stored: User, now: float) -> User:
    """The person's other seats get the change too; the user as others see them now."""
    await profiles.spread_to_other_seats(ctx, stored, now)
    return profiles.with_current_status(stored, now)


def _check_person(caller: TokenInfo) -> None:
    if caller.kind == "bot":
        raise AuthError("a bot token cannot change photos", slack_error="user_is_bot")


def _pixels(name: str, value: str | None, minimum: int) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidArgument(f"{name} must be a whole number of pixels, got {value!r}") from None
    if number < minimum:
        raise InvalidArgument(f"{name} must be at least {minimum}, got {number}")
    return number
