"""users.*: the workspace's people and bots, their presence, profiles and photos."""

from __future__ import annotations

from typing import Any

import orjson

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.models import User
from backchannel.services.people import avatars, directory, presence, profiles
from backchannel.webapp.args import Args
from backchannel.webapp.params import FilePart
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import AVATAR_SIZES, profile_json, user_json

USERS_CURSOR = "users"
LOCALE = "en-US"  # the only locale Backchannel speaks
# What users.setPhoto answers with: the new photo's part of the profile.
PHOTO_FIELDS = ("avatar_hash", *(f"image_{size}" for size in AVATAR_SIZES), "image_original")


@api_method("users.list")
async def users_list(call: Call) -> SlackResponse:
    args = call.args
    limit = args.limit(default=200, maximum=1000)
    after = decode_cursor(USERS_CURSOR, args.optional_string("cursor"))
    page = await directory.list_users(call.ctx, call.caller.workspace_id, after=after, limit=limit)
    locale = args.flag("include_locale")
    return ok(
        members=[_user_json(user, call.base_url, locale) for user in page.users],
        cache_ts=int(call.ctx.clock()),
        response_metadata=next_cursor_metadata(USERS_CURSOR, page.next_after),
    )


@api_method("users.info")
async def users_info(call: Call) -> SlackResponse:
    user_id = call.args.string("user")
    user = await directory.get_visible_user(call.ctx, call.caller, user_id)
    return ok(user=_user_json(user, call.base_url, call.args.flag("include_locale")))


@api_method("users.lookupByEmail")
async def users_lookup_by_email(call: Call) -> SlackResponse:
    email = call.args.string("email")
    user = await directory.find_user_by_email(call.ctx, call.caller.workspace_id, email)
    return ok(user=user_json(user, call.base_url))


@api_method("users.getPresence")
async def users_get_presence(call: Call) -> SlackResponse:
    user_id = call.args.optional_string("user") or None
    found = await presence.get_presence(call.ctx, call.caller, user_id)
    if user_id not in (None, call.caller.user_id):
        # Slack tells only the caller how their presence was worked out.
        return ok(presence=found.presence)
    return ok(
        presence=found.presence,
        online=found.online,
        auto_away=found.auto_away,
        manual_away=found.manual_away,
        connection_count=found.connection_count,
    )


@api_method("users.setPresence")
async def users_set_presence(call: Call) -> SlackResponse:
    await presence.set_presence(call.ctx, call.caller, call.args.string("presence"))
    return ok()


@api_method("users.profile.get")
async def users_profile_get(call: Call) -> SlackResponse:
    user_id = call.args.optional_string("user") or call.caller.user_id
    user = await directory.get_user(call.ctx, call.caller.workspace_id, user_id)
    return ok(profile=profile_json(user, call.base_url))


@api_method("users.profile.set")
async def users_profile_set(call: Call) -> SlackResponse:
    changes = _profile_changes(call.args)
    user_id = call.args.optional_string("user") or None
    user = await profiles.set_profile(call.ctx, call.caller, changes, user_id=user_id)
    return ok(username=user.name, profile=profile_json(user, call.base_url))


@api_method("users.setPhoto")
async def users_set_photo(call: Call) -> SlackResponse:
    args = call.args
    crop = avatars.check_crop(
        args.optional_string("crop_x"),
        args.optional_string("crop_y"),
        args.optional_string("crop_w"),
    )
    image = call.params.get("image")
    # Only a file part is an image; a text field (or nothing) is refused as bad_image.
    data = image.data if isinstance(image, FilePart) else b""
    user = await avatars.set_photo(call.ctx, call.caller, data, base_url=call.base_url, crop=crop)
    profile = profile_json(user, call.base_url)
    return ok(profile={name: profile[name] for name in PHOTO_FIELDS})


@api_method("users.deletePhoto")
async def users_delete_photo(call: Call) -> SlackResponse:
    await avatars.delete_photo(call.ctx, call.caller)
    return ok()


def _profile_changes(args: Args) -> dict[str, Any]:
    """`name` and `value` for one field, or `profile`: a JSON object (or its text)."""
    name = args.optional_string("name")
    if name:
        return {name: args.raw.get("value") or ""}
    raw = args.raw.get("profile")
    if raw in (None, ""):
        raise profiles.InvalidProfile("give profile, or name and value")
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise profiles.InvalidProfile("profile is not valid JSON") from None
    if not isinstance(raw, dict):
        raise profiles.InvalidProfile(f"profile must be a JSON object, got {type(raw).__name__}")
    return raw


def _user_json(user: User, base_url: str, include_locale: bool) -> dict[str, Any]:
    payload = user_json(user, base_url)
    if include_locale:
        payload["locale"] = LOCALE
    return payload
