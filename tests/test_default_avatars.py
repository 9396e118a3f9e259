"""Default avatars' initials: the web client's rule (webclient/js/names.js `initials`)."""

import pytest

from backchannel.default_avatars import default_avatar_svg, default_avatar_url, initials


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Alice Archer", "AA"),
        ("Bob", "BO"),  # one word: its first two letters
        ("élodie van der Berg", "ÉV"),
        ("O'Brien, Pat", "OB"),  # what is not a letter or digit parts words
        ("x", "X"),
        ("🙂 --", "?"),  # no letters at all
        ("李 小龙", "李小"),
    ],
)
def test_initials_are_the_web_clients(name: str, shown: str) -> None:
    assert initials(name) == shown


def test_the_url_names_what_the_picture_shows() -> None:
    url = default_avatar_url("https://chat.example/", "U0000100001", "🙂")
    colour = url.split("/")[-2]
    assert url == f"https://chat.example/avatars/default/{colour}/%3F.svg"
    picture = default_avatar_svg(colour, "?")
    assert picture is not None and f'fill="#{colour}"' in picture and ">?</text>" in picture
    assert default_avatar_svg(colour, "<b>") is None
    assert default_avatar_svg("red", "AB") is None
