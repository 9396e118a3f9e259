"""What a caller names as a conversation where Slack takes more than an id: a channel's
name ("#general" or "general"), or a person's id for the DM with them; and `link_names`,
which turns "#general" in a message into a link (docs/webapp.md).

Names are looked up in the caller's workspace: its own channels, then those shared into
it, among what the caller may see (public channels, and private ones they are in). A name
that finds nothing is channel_not_found, as an unknown id is, and never says more.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from backchannel.errors import NotFound
from backchannel.models import Channel
from backchannel.router import ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations import direct_messages
from backchannel.services.conversations.access import no_channel
from backchannel.services.tenancy.shared_refs import refs_by_host
from backchannel.storage.engines.connection import Conn
from backchannel.storage.shard import channels as store
from backchannel.types import USER, is_keyed_id

_NAMED_KINDS = (store.PUBLIC, store.PRIVATE)
# What link_names links: "#name" and Slack's "@here", "@channel", "@everyone", each at the
# start or after a space or an opening bracket. Not "@person": Slack no longer links those.
_LINKABLE = re.compile(r"(?<![^\s(\[])(?:#([a-z0-9_-]{1,80})|@(here|channel|everyone))\b")
_SLACK_MARKUP = re.compile(r"(<[^>]*>)")  # links and mentions already written


async def conversation_for(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, ref: str, open_dm: bool = False
) -> str:
    """The conversation id `ref` names: an id as it is, the channel of a name, or (with
    `open_dm`, as chat.postMessage takes it) a user id's DM, opened on first use."""
    if is_keyed_id(ref):
        if open_dm and ref.startswith(USER):
            return await _dm_with(ctx, workspace_id, user_id, ref)
        return ref
    name = ref.strip().removeprefix("#").lower()
    found = await channels_named(ctx, workspace_id=workspace_id, user_id=user_id, names=[name])
    if name not in found:
        raise NotFound(f"no channel #{name}", slack_error="channel_not_found")
    return found[name].id


async def channels_named(
    ctx: ServiceContext, *, workspace_id: str, user_id: str, names: Collection[str]
) -> dict[str, Channel]:
    """The channels of these names the user may see from the workspace, by name: its own
    first, then those shared with it."""
    wanted = set(names)
    if not wanted:
        return {}
    async with ctx.router.read(ShardFor(workspace_id)) as conn:
        found = await _named_txn(conn, workspace_id, user_id, wanted)
    for host, channel_ids in (await refs_by_host(ctx, workspace_id)).items():
        if wanted <= found.keys():
            break
        async with ctx.router.read(ShardFor(host)) as conn:
            shared = await _named_txn(conn, workspace_id, user_id, wanted, among=channel_ids)
        found = {**shared, **found}
    return found


async def _named_txn(
    conn: Conn,
    workspace_id: str,
    user_id: str,
    names: Collection[str],
    among: Collection[str] | None = None,
) -> dict[str, Channel]:
    visible = await store.visible_channels_txn(
        conn,
        workspace_id,
        user_id,
        kinds=_NAMED_KINDS,
        exclude_archived=False,
        after_id="",
        limit=len(names),  # a name is one channel of its workspace
        among=among,
        named=names,
    )
    return {channel.name: channel for channel in visible if channel.name is not None}


async def _dm_with(ctx: ServiceContext, workspace_id: str, user_id: str, other_id: str) -> str:
    """The id of the DM with `other_id`, opened on first use as Slack does for a user id."""
    try:
        opened = await direct_messages.open_conversation(
            ctx, workspace_id=workspace_id, user_id=user_id, with_users=[other_id]
        )
    except NotFound:
        raise no_channel(other_id) from None
    return opened.channel.id


async def link_names(ctx: ServiceContext, *, workspace_id: str, user_id: str, text: str) -> str:
    """`text` with #channel names the author may see as <#C…|name>, and @here, @channel and
    @everyone as Slack's <!here>...; what is inside <...> already stays as it is."""
    pieces = _SLACK_MARKUP.split(text)  # the odd ones are markup
    names = {m[1] for piece in pieces[::2] for m in _LINKABLE.finditer(piece) if m[1]}
    found = await channels_named(ctx, workspace_id=workspace_id, user_id=user_id, names=names)

    def link(match: re.Match[str]) -> str:
        name, special = match[1], match[2]
        if special:
            return f"<!{special}>"
        return f"<#{found[name].id}|{name}>" if name in found else match[0]

    return "".join(
        piece if index % 2 else _LINKABLE.sub(link, piece) for index, piece in enumerate(pieces)
    )
