"""Hypothesis strategies for hostile input, as the text a client sends: JSON nested past
any parser's limit, wide arrays, odd Unicode (NUL, lone surrogates, RTL marks, combining
marks, ZWJ sequences, very long strings), huge, negative and non-finite numbers, and
things shaped like Block Kit so that the checks behind the first are reached too.

Values are built as JSON *text*, not Python objects: nothing here nests Python's stack or
orjson's limit, and text can be what no encoder would write ("1e400", "\\ud800").
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

ODD = [
    "", " ", "\x00", "a\x00b", "fire\n", "\u202eevil\u202c", "\u200f\u05e9\u05dc\u05d5\u05dd",
    "e" + "\u0301" * 40, "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\ufeff", "\ud800", "\udfff\ud800", "<@U00000000>", "<!channel>", "fuzzed words",
]  # fmt: skip
LONG = ["x" * 151, "x" * 3001, "y" * 12_001, "z" * 40_001]  # past Slack's lengths
NUMBERS = [
    "0", "-1", "-0", "1" + "0" * 30, "-9223372036854775809", "18446744073709551616", "1e400",
    "-1e400", "1e-400", "0.1", "253402300800", "NaN", "Infinity", "2e308",
]  # fmt: skip
# Literal JSON text no encoder writes: escapes of lone surrogates and of NUL.
ESCAPES = ['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"\\ud83d\\ude00"']
BLOCK_TYPES = [
    "section", "divider", "image", "actions", "context", "header", "markdown", "rich_text",
    "input", "table", "container", "carousel", "video", "file", "sections", "", "SECTION",
]  # fmt: skip
BLOCK_KEYS = [
    "type", "text", "fields", "accessory", "elements", "block_id", "image_url", "alt_text",
    "title", "label", "element", "rows", "child_blocks", "blocks",
]  # fmt: skip

short_text = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
odd_text = st.one_of(short_text, st.sampled_from(LONG))


def string(value: str) -> str:
    """A string as JSON text; a lone surrogate stays raw (the body is then not UTF-8)."""
    return json.dumps(value, ensure_ascii=False)


def array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def obj(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{string(key)}:{value}" for key, value in pairs) + "}"


def nest(depth: int, inner: str, bracket: str) -> str:
    """`inner` inside `depth` arrays or objects, built without recursion."""
    if bracket == "[":
        return "[" * depth + inner + "]" * depth
    return '{"a":' * depth + inner + "}" * depth


def _scalar(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["null", "true", "false", *NUMBERS, *ESCAPES]),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(json.dumps),
        text.map(string),
    )


scalar = _scalar(odd_text)
small = _scalar(short_text)  # what is repeated: a wide value stays under the 1 MB a body has
json_text = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(array),
        st.lists(st.tuples(short_text, inner), max_size=5).map(obj),
    ),
    max_leaves=12,
)
deep = st.builds(nest, st.integers(2, 1100), small, st.sampled_from("[{"))
wide = st.builds(lambda n, item: array([item] * n), st.integers(50, 3000), small)


@st.composite
def _text_object(draw: Any, text: st.SearchStrategy[str] = odd_text) -> str:
    kind = draw(st.sampled_from(["plain_text", "mrkdwn", "button", ""]))
    return obj([("type", string(kind)), ("text", draw(st.one_of(text.map(string), small)))])


@st.composite
def block(draw: Any, text: st.SearchStrategy[str] = odd_text) -> str:
    """An object shaped like a block: a type Slack has (or nearly), and its fields."""
    keys = draw(st.lists(st.sampled_from(BLOCK_KEYS[1:]), max_size=4, unique=True))
    part = st.one_of(_text_object(text), small, deep)
    pairs = [("type", string(draw(st.sampled_from(BLOCK_TYPES))))]
    pairs += [(key, draw(st.one_of(part, st.lists(part, max_size=12).map(array)))) for key in keys]
    return obj(pairs)


def _some(item: Any, plain: Any, around: int) -> Any:
    """A few of `item`, or about `around` of one plain one (the count limits are reached)."""
    many = st.builds(lambda n, one: array([one] * n), st.integers(around - 5, around + 5), plain)
    return st.one_of(st.lists(item, max_size=4).map(array), many)


# Odd values where Slack's checks do not look (a property they do not know, a rich text
# element's style), nested up to the depth a message may have: these are stored.
extra = st.one_of(small, st.builds(nest, st.integers(1, 26), small, st.sampled_from("[{")))


def _typed(kind: str, *pairs: tuple[str, str]) -> str:
    return obj([("type", string(kind)), *pairs])


@st.composite
def good_block(draw: Any) -> str:
    """A block Slack takes, carrying odd text and odd values where they are not checked."""
    text, more = string(draw(short_text) or "t"), ("x", draw(extra))
    element = _typed("text", ("text", text), ("style", draw(extra)))
    section = _typed("rich_text_section", ("elements", array([element])))
    kinds = [
        _typed("section", ("text", _typed("mrkdwn", ("text", text))), more),
        _typed("divider", more),
        _typed("rich_text", ("elements", array([section]))),
        _typed("context", ("elements", array([_typed("plain_text", ("text", text))]))),
    ]
    return draw(st.sampled_from(kinds))


@st.composite
def good_attachment(draw: Any) -> str:
    text = string(draw(short_text))
    field = obj([("title", text), ("value", text), ("short", draw(small))])
    pairs = [("fallback", text), ("color", text), ("fields", array([field])), ("x", draw(extra))]
    return obj(pairs)


blocks = st.one_of(
    _some(block(), block(short_text), 50), st.lists(good_block(), max_size=3).map(array)
)
_attachment_field = st.sampled_from(["fallback", "text", "fields", "blocks", "actions", "color"])


def _attachment(value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(_attachment_field, value), max_size=3).map(obj)


attachments = st.one_of(
    _some(_attachment(st.one_of(blocks, json_text)), _attachment(small), 100),
    st.lists(good_attachment(), max_size=2).map(array),
)
# Whatever a JSON argument (blocks, attachments, a profile) may be sent as.
rich = st.one_of(json_text, deep, wide, blocks, attachments)
# What a post may well take: the odd values are where Slack's checks do not look.
good_blocks = st.lists(good_block(), min_size=1, max_size=3).map(array)
good_attachments = st.lists(good_attachment(), min_size=1, max_size=2).map(array)
# A profile: the fields a person sets, with odd values, and others.
PROFILE_FIELDS = ["real_name", "display_name", "title", "status_text", "status_emoji",
                  "status_expiration", "first_name", "fields", "image_72"]  # fmt: skip
profile = st.lists(
    st.tuples(
        st.sampled_from(PROFILE_FIELDS), st.one_of(short_text.map(string), scalar, extra, rich)
    ),
    max_size=4,
).map(obj)
