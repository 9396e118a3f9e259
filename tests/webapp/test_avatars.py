"""Profile photos: users.setPhoto and users.deletePhoto through Slack's own SDK, the photo
served at its URL, and the user_change each one pushes (bus and RTM socket)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest

from backchannel.app import Backchannel
from backchannel.default_avatars import PALETTE
from backchannel.models import TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.people import users
from backchannel.services.people.avatars import MAX_IMAGE_BYTES
from tests.conftest import Acme
from tests.services.test_events_messages import listen
from tests.support.clients import ValidatingAsyncWebClient
from tests.support.rtm import live_edge, open_rtm
from tests.webapp.conftest import client_for, error_of

IMAGE_FIELDS = ("image_24", "image_32", "image_48", "image_72", "image_192", "image_512")
# The smallest GIF (1x1, one colour) and the first bytes of a JPEG (SOI, then JFIF's APP0).
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG: opaque red pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(url)


def token_of(acme: Acme, who: str) -> TokenInfo:
    return TokenInfo(getattr(acme, who).user.id, acme.workspace.id, "user")


@pytest.fixture
async def edge_url(deployment: Backchannel, acme: Acme) -> AsyncIterator[str]:
    async with live_edge(deployment) as url:
        yield url


# --- users.setPhoto ---------------------------------------------------------------------


async def test_a_photo_shows_in_the_profile_at_every_size(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme, server: str
) -> None:
    image = png()
    photo = (await alice.users_setPhoto(image=BytesIO(image)))["profile"]
    url = photo["image_original"]
    assert url.startswith(f"{server}/avatars/{acme.alice.user.id}/{photo['avatar_hash']}")
    assert url.endswith(".png")
    assert all(photo[field] == url for field in (*IMAGE_FIELDS, "image_1024"))

    seen = (await bob.users_info(user=acme.alice.user.id))["user"]["profile"]
    assert seen["avatar_hash"] == photo["avatar_hash"]
    assert [seen[field] for field in IMAGE_FIELDS] == [url] * len(IMAGE_FIELDS)
    own = (await alice.users_profile_get())["profile"]
    assert (own["image_192"], own["image_original"]) == (url, url)


async def test_the_photo_url_serves_the_same_bytes(alice: ValidatingAsyncWebClient) -> None:
    image = png(3, 5)
    url = (await alice.users_setPhoto(image=BytesIO(image)))["profile"]["image_512"]
    served = await fetch(url)
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == "image/png"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_gif_and_jpeg_keep_their_type(
    alice: ValidatingAsyncWebClient, tmp_path: Path
) -> None:
    gif_url = (await alice.users_setPhoto(image=BytesIO(GIF)))["profile"]["image_48"]
    photo = tmp_path / "me.jpg"
    photo.write_bytes(JPEG)
    jpeg_url = (await alice.users_setPhoto(image=str(photo)))["profile"]["image_48"]
    assert (await fetch(jpeg_url)).headers["content-type"] == "image/jpeg"
    assert (await fetch(gif_url)).status_code == 404  # replaced: the old URL is gone


async def test_a_file_that_is_not_an_image_is_refused(alice: ValidatingAsyncWebClient) -> None:
    svg = BytesIO(b"<svg onload=alert(1)>")
    assert await error_of(alice.users_setPhoto(image=svg)) == "bad_image"
    as_text = alice.api_call("users.setPhoto", data={"image": "text"})  # a field, not a file
    assert await error_of(as_text) == "bad_image"
    profile = (await alice.users_profile_get())["profile"]
    assert profile["avatar_hash"] == "" and "/avatars/default/" in profile["image_48"]


async def test_a_photo_over_the_size_limit_is_too_large(alice: ValidatingAsyncWebClient) -> None:
    oversized = png() + b"\x00" * (MAX_IMAGE_BYTES - len(png()) + 1)
    assert await error_of(alice.users_setPhoto(image=BytesIO(oversized))) == "too_large"
    huge = BytesIO(b"x" * (3 * MAX_IMAGE_BYTES))  # over the body limit: refused unread
    assert await error_of(alice.users_setPhoto(image=huge)) == "request_too_large"


async def test_crop_arguments_must_be_pixels(alice: ValidatingAsyncWebClient) -> None:
    # As strings: slack_sdk sends them as they are, and aiohttp cannot send an int beside a file.
    cropped = await alice.users_setPhoto(image=BytesIO(png()), crop_x="0", crop_y="1", crop_w="2")
    assert cropped["profile"]["avatar_hash"]
    for bad in ({"crop_w": "wide"}, {"crop_x": "-1"}, {"crop_w": "0"}):
        refused = alice.users_setPhoto(image=BytesIO(png()), **bad)
        assert await error_of(refused) == "invalid_arguments", bad


async def test_a_bot_has_no_photo_to_set(ctx: ServiceContext, server: str, acme: Acme) -> None:
    robot = client_for(server, (await users.create_bot(ctx, workspace="acme", name="Robo")).token)
    assert await error_of(robot.users_setPhoto(image=BytesIO(png()))) == "user_is_bot"
    assert await error_of(robot.users_deletePhoto()) == "user_is_bot"


async def test_a_profile_change_keeps_the_photo(alice: ValidatingAsyncWebClient) -> None:
    url = (await alice.users_setPhoto(image=BytesIO(png())))["profile"]["image_72"]
    changed = await alice.users_profile_set(profile={"title": "Chief"})
    assert (changed["profile"]["title"], changed["profile"]["image_72"]) == ("Chief", url)


# --- users.deletePhoto and the URL ------------------------------------------------------


async def test_delete_photo_removes_it_everywhere(
    alice: ValidatingAsyncWebClient, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    url = (await alice.users_setPhoto(image=BytesIO(png())))["profile"]["image_24"]
    assert (await alice.users_deletePhoto())["ok"] is True
    profile = (await bob.users_info(user=acme.alice.user.id))["user"]["profile"]
    assert profile["avatar_hash"] == "" and "image_original" not in profile
    assert all("/avatars/default/" in profile[field] for field in IMAGE_FIELDS)
    assert (await fetch(url)).status_code == 404
    assert (await alice.users_deletePhoto())["ok"] is True  # nothing left: still fine


async def test_an_unknown_photo_url_is_not_found(
    alice: ValidatingAsyncWebClient, acme: Acme, server: str
) -> None:
    photo = (await alice.users_setPhoto(image=BytesIO(png())))["profile"]
    user = acme.alice.user.id
    for path in (
        f"{user}/000000000000.png",  # someone's, but not this hash
        f"{acme.bob.user.id}/{photo['avatar_hash']}.png",  # this hash, not theirs
        f"U0000100000/{photo['avatar_hash']}.png",  # nobody's keyspace
        f"nonsense/{photo['avatar_hash']}.png",
        f"{user}/..%2F..%2Fetc%2Fpasswd",
    ):
        assert (await fetch(f"{server}/avatars/{path}")).status_code == 404, path


# --- user_change ------------------------------------------------------------------------


async def test_set_and_delete_publish_user_change_to_the_workspace(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme
) -> None:
    heard = await listen(ctx)
    assert await error_of(alice.users_setPhoto(image=BytesIO(b"not an image"))) == "bad_image"
    assert heard.events == []  # a refused photo changes nothing and says nothing

    url = (await alice.users_setPhoto(image=BytesIO(png())))["profile"]["image_original"]
    await alice.users_deletePhoto()
    await alice.users_deletePhoto()  # no photo left: no event
    assert heard.kinds() == ["user_change", "user_change"]
    changed, removed = (event.payload["user"] for event in heard.events)
    assert all(event.scope == "workspace" for event in heard.events)
    assert (changed["id"], changed["profile"]["image_48"]) == (acme.alice.user.id, url)
    assert removed["profile"]["avatar_hash"] == ""
    assert "/avatars/default/" in removed["profile"]["image_48"]


async def test_a_new_photo_reaches_an_rtm_socket(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme, edge_url: str
) -> None:
    bob = await open_rtm(ctx, edge_url, token_of(acme, "bob"))
    try:
        photo = (await alice.users_setPhoto(image=BytesIO(png())))["profile"]
        event = await bob.next("user_change")
    finally:
        await bob.close()
    user = event["user"]
    assert user["id"] == acme.alice.user.id
    assert user["profile"]["avatar_hash"] == photo["avatar_hash"]
    assert user["profile"]["image_512"] == photo["image_512"]
    assert event["resume"]


# --- default avatars --------------------------------------------------------------------


def _person(members: list[dict[str, Any]], user_id: str) -> dict[str, Any]:
    return next(member for member in members if member["id"] == user_id)


async def test_someone_without_a_photo_has_a_default_avatar_at_every_size(
    alice: ValidatingAsyncWebClient,
    bob: ValidatingAsyncWebClient,
    acme: Acme,
    server: str,
    edge_url: str,  # for rtm.start
) -> None:
    bob_id = acme.bob.user.id
    profile = (await alice.users_info(user=bob_id))["user"]["profile"]
    url = profile["image_72"]
    assert url.startswith(f"{server}/avatars/default/") and url.endswith("/BO.svg")  # "Bob"
    assert [profile[field] for field in IMAGE_FIELDS] == [url] * len(IMAGE_FIELDS)
    # What Slack gives a default avatar: no image_1024, image_original or is_custom_image.
    assert not {"image_1024", "image_original", "is_custom_image"} & set(profile)
    # The same wherever a profile is read.
    assert _person((await alice.users_list())["members"], bob_id)["profile"]["image_24"] == url
    assert (await bob.users_profile_get())["profile"]["image_512"] == url
    assert _person((await alice.rtm_start())["users"], bob_id)["profile"]["image_48"] == url

    served = await fetch(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    colour = url.split("/")[-2]
    assert colour in PALETTE
    assert served.text.startswith("<svg") and f'fill="#{colour}"' in served.text
    assert ">BO</text>" in served.text


async def test_a_new_name_is_a_new_default_avatar_of_the_same_colour(
    ctx: ServiceContext, bob: ValidatingAsyncWebClient, acme: Acme
) -> None:
    before = (await bob.users_profile_get())["profile"]["image_72"]
    heard = await listen(ctx)
    after = (await bob.users_profile_set(profile={"real_name": "Robert Builder"}))["profile"]
    url = after["image_72"]
    assert url.endswith("/RB.svg") and url.split("/")[-2] == before.split("/")[-2]
    assert heard.one("user_change").payload["user"]["profile"]["image_32"] == url
    assert ">RB</text>" in (await fetch(url)).text


async def test_a_bot_has_a_default_avatar_and_icons(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme, edge_url: str
) -> None:
    robo = await users.create_bot(ctx, workspace="acme", name="Robo")
    profile = (await alice.users_info(user=robo.user.id))["user"]["profile"]
    url = profile["image_48"]
    assert url.endswith("/RO.svg")
    bot = next(b for b in (await alice.rtm_start())["bots"] if b["id"] == robo.bot.id)
    assert bot["icons"] == {"image_36": url, "image_48": url, "image_72": url}
    assert (await fetch(url)).status_code == 200


async def test_the_edge_boot_gives_the_same_default_avatar(
    ctx: ServiceContext, alice: ValidatingAsyncWebClient, acme: Acme, edge_url: str
) -> None:
    expected = (await alice.users_info(user=acme.alice.user.id))["user"]["profile"]["image_72"]
    socket = await open_rtm(ctx, edge_url, token_of(acme, "alice"))
    try:
        boot = await socket.ask("client.boot")
    finally:
        await socket.close()
    assert _person(boot["users"], acme.alice.user.id)["profile"]["image_72"] == expected


async def test_a_default_avatar_url_no_one_has_is_not_found(server: str) -> None:
    for path in (
        "zzzzzz/AB.svg",  # not a colour
        "1264a3/AB.png",  # not its format
        "1264a3/AB",
        "1264a3/ABCDEFGHIJ.svg",  # more than initials
        "1264a3/%3Cb%3E.svg",  # not letters
        "1264a3/.svg",
    ):
        assert (await fetch(f"{server}/avatars/default/{path}")).status_code == 404, path
