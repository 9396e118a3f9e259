"""Block Kit blocks and message attachments, checked on input as Slack checks them
(docs/webapp.md#blocks-and-attachments).

Slack refuses a message whose blocks or attachments break its rules with invalid_blocks or
invalid_attachments, one line per problem naming the field with a JSON pointer: "must be
less than 3001 characters [json-pointer:/blocks/0/text/text]". Checked here, from one table
(BLOCKS): each block type's JSON types, required fields, lengths and counts as Slack
documents them, unknown types, and a depth no Block Kit needs; not every property of every
element. Every way in (chat.*, webhooks, an import) checks with these, so nothing is stored
that a read cannot show again (docs/storage.md#json-columns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any, Final

from backchannel.errors import InvalidArgument, InvalidContent
from backchannel.nesting import MAX_INPUT_DEPTH, json_pointer, too_deep

MAX_BLOCKS: Final = 50  # in a message (Slack allows 100 in modals and Home tabs)
MAX_ATTACHMENTS: Final = 100
MAX_DEPTH: Final = MAX_INPUT_DEPTH  # levels of arrays and objects
MAX_PROBLEMS: Final = 20  # lines in one refusal
MAX_BLOCK_ID: Final = 255
MAX_QUOTED: Final = 100  # of an unsupported type, quoted back

# A check of one field of an object: (the object, its pointer) -> the problems found.
Check = Callable[[Mapping[str, Any], str], Iterator[str]]
# A check of one value (an item of an array): (the value, its pointer) -> the problems.
ItemCheck = Callable[[Any, str], Iterator[str]]


def blocks_problems(blocks: Any) -> list[str]:
    """What Slack would say is wrong with a message's `blocks` (nothing: none)."""
    return list(islice(_top(blocks, "/blocks", MAX_BLOCKS, block), MAX_PROBLEMS))


def attachments_problems(attachments: Any) -> list[str]:
    """What Slack would say is wrong with a message's `attachments` (nothing: none)."""
    found = _top(attachments, "/attachments", MAX_ATTACHMENTS, attachment)
    return list(islice(found, MAX_PROBLEMS))


def check_blocks(blocks: list[Any] | None) -> None:
    if blocks and (problems := blocks_problems(blocks)):
        raise InvalidContent(problems, slack_error="invalid_blocks")


def check_attachments(attachments: list[Any] | None) -> None:
    if not attachments:
        return
    if len(attachments) > MAX_ATTACHMENTS:  # an error of its own, as Slack has it
        raise InvalidArgument(
            f"at most {MAX_ATTACHMENTS} attachments, got {len(attachments)}",
            slack_error="too_many_attachments",
        )
    if problems := attachments_problems(attachments):
        raise InvalidContent(problems, slack_error="invalid_attachments")


def _top(value: Any, at: str, limit: int | None, each: ItemCheck) -> Iterator[str]:
    deep = too_deep(value, MAX_DEPTH)
    if deep is not None:  # first: the checks below walk it
        yield _problem(f"nested more than {MAX_DEPTH} levels deep", at + json_pointer(deep))
    else:
        yield from array(limit, each)(value, at)


def _problem(text: str, pointer: str) -> str:
    return f"{text} [json-pointer:{pointer}]"


# -- checks of one value --------------------------------------------------------------


def array(limit: int | None, each: ItemCheck, *, required: bool = False) -> ItemCheck:
    """An array of at most `limit` items (at least one when `required`), each checked."""

    def check(value: Any, at: str) -> Iterator[str]:
        if not isinstance(value, list):
            yield _problem("expected an array", at)
            return
        if required and not value:
            yield _problem("must contain at least 1 item", at)
        if limit is not None and len(value) > limit:
            yield _problem(f"no more than {limit} items allowed", at)
        for index, item in enumerate(value):
            yield from each(item, f"{at}/{index}")

    return check


def text_value(limit: int | None = None) -> ItemCheck:
    """A non-empty string of at most `limit` characters."""

    def check(value: Any, at: str) -> Iterator[str]:
        if not isinstance(value, str):
            yield _problem("expected a string", at)
        elif not value:
            yield _problem("must be more than 0 characters", at)
        elif limit is not None and len(value) > limit:
            yield _problem(f"must be less than {limit + 1} characters", at)

    return check


def text_object(limit: int, *, plain: bool = False) -> ItemCheck:
    """{"type": "plain_text" or "mrkdwn", "text": ...}; `plain`: plain_text only, as
    headers and labels are."""
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")

    def check(value: Any, at: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield _problem("expected an object", at)
        elif "type" not in value:
            yield _problem("missing required field: type", at)
        elif value["type"] not in kinds:
            yield _problem("failed to match all allowed schemas", at)
        else:
            yield from string("text", limit, required=True)(value, at)

    return check


def typed(value: Any, at: str) -> Iterator[str]:
    """An object that says its type: an element, a rich text part, a table cell."""
    if not isinstance(value, dict):
        yield _problem("expected an object", at)
    else:
        yield from string("type", required=True)(value, at)


def block(value: Any, at: str) -> Iterator[str]:
    """One block: an object of a type Slack has, with its type's rules (BLOCKS)."""
    if not isinstance(value, dict):
        yield _problem("expected an object", at)
        return
    kind = value.get("type")
    rules = BLOCKS.get(kind) if isinstance(kind, str) else None
    if kind is None:
        yield _problem("missing required field: type", at)
    elif rules is None:
        yield _problem(f"unsupported type: {str(kind)[:MAX_QUOTED]}", f"{at}/type")
    else:
        for rule in (string("block_id", MAX_BLOCK_ID), *rules):
            yield from rule(value, at)


def attachment(value: Any, at: str) -> Iterator[str]:
    """A legacy attachment: its fields' types and its blocks are checked, not its text."""
    yield from _object(value, at, ATTACHMENT)


def _object(value: Any, at: str, rules: tuple[Check, ...]) -> Iterator[str]:
    if not isinstance(value, dict):
        yield _problem("expected an object", at)
        return
    for rule in rules:
        yield from rule(value, at)


def of_type(kinds: tuple[type, ...], name: str) -> ItemCheck:
    """A value of one JSON type (any length): `name` says which, in the problem."""

    def check(value: Any, at: str) -> Iterator[str]:
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            yield _problem(f"expected {name}", at)

    return check


_any_string = of_type((str,), "a string")
_any_object = of_type((dict,), "an object")
_whole_number = of_type((int,), "an integer")
_time = of_type((int, float, str), "a number or a string")


# -- checks of one field of an object -------------------------------------------------


def field(name: str, each: ItemCheck, *, required: bool = False) -> Check:
    def check(obj: Mapping[str, Any], at: str) -> Iterator[str]:
        value = obj.get(name)
        if value is not None:
            yield from each(value, f"{at}/{name}")
        elif required:
            yield _problem(f"missing required field: {name}", at)

    return check


def string(name: str, limit: int | None = None, *, required: bool = False) -> Check:
    return field(name, text_value(limit), required=required)


def text(name: str, limit: int, *, required: bool = False, plain: bool = False) -> Check:
    return field(name, text_object(limit, plain=plain), required=required)


def items(name: str, limit: int | None, each: ItemCheck, *, required: bool = False) -> Check:
    return field(name, array(limit, each, required=required), required=required)


def element(name: str, *, required: bool = False) -> Check:
    return field(name, typed, required=required)


def present(name: str) -> Check:
    return field(name, lambda value, at: iter(()), required=True)


def either(*names: str) -> Check:
    """At least one of `names` (a section has text, fields or both)."""

    def check(obj: Mapping[str, Any], at: str) -> Iterator[str]:
        if all(obj.get(name) is None for name in names):
            wanted = " or ".join(f"`{name}`" for name in names)
            yield _problem(f"must define either {wanted}", f"{at}/type")

    return check


# Slack's message blocks (docs.slack.dev/reference/block-kit/blocks), each with the rules
# its reference page gives beyond `type` and `block_id` (255 characters).
BLOCKS: Final[dict[str, tuple[Check, ...]]] = {
    "actions": (items("elements", 25, typed, required=True),),
    "alert": (present("text"),),
    "auth_provider": (),
    "call": (string("call_id", required=True),),
    "card": (text("title", 150), text("subtitle", 150), text("body", 200)),
    "carousel": (items("elements", 10, block, required=True),),
    "container": (items("child_blocks", 10, block, required=True), text("title", 150)),
    "context": (items("elements", 10, typed, required=True),),
    "context_actions": (items("elements", 5, typed, required=True),),
    "divider": (),
    "file": (string("external_id", required=True), string("source", required=True)),
    "header": (text("text", 150, required=True, plain=True),),
    "image": (
        either("image_url", "slack_file"),
        string("image_url", 3000),
        string("alt_text", 2000, required=True),
        text("title", 2000, plain=True),
    ),
    "input": (
        text("label", 2000, required=True, plain=True),
        element("element", required=True),
        text("hint", 2000, plain=True),
    ),
    "markdown": (string("text", 12000, required=True),),
    "plan": (string("title", required=True), items("tasks", None, block)),
    "rich_text": (items("elements", None, typed, required=True),),
    "section": (
        either("text", "fields"),
        text("text", 3000),
        items("fields", 10, text_object(2000)),
        element("accessory"),
    ),
    "table": (items("rows", 100, array(20, typed), required=True),),
    "task_card": (string("task_id", required=True), string("title", required=True)),
    "video": (
        string("alt_text", required=True),
        text("title", 199, required=True, plain=True),
        string("video_url", 3000, required=True),
        string("thumbnail_url", 3000, required=True),
        string("author_name", 49),
    ),
}

# A legacy attachment's fields, of the types Slack documents (docs.slack.dev/legacy/
# legacy-messaging/legacy-secondary-message-attachments); its blocks are a message's.
ATTACHMENT_TEXTS: Final = (
    "fallback", "color", "pretext", "author_name", "author_link", "author_icon", "title",
    "title_link", "text", "image_url", "thumb_url", "footer", "footer_icon", "callback_id",
)  # fmt: skip
ATTACHMENT_FIELD: Final[tuple[Check, ...]] = (
    field("title", _any_string),
    field("value", _any_string),
    field("short", of_type((bool,), "a boolean")),
)
ATTACHMENT: Final[tuple[Check, ...]] = (
    *(field(name, _any_string) for name in ATTACHMENT_TEXTS),
    *(field(name, _whole_number) for name in ("image_width", "image_height", "image_bytes")),
    field("ts", _time),
    items("blocks", MAX_BLOCKS, block),
    items("fields", None, lambda value, at: _object(value, at, ATTACHMENT_FIELD)),
    items("actions", None, _any_object),
    items("mrkdwn_in", None, _any_string),
)
