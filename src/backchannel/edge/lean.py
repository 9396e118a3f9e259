"""The lean boot and the query methods a client asks its edge on its socket, answered from
the edge's cache (docs/edge-cache.md).

`client.boot` makes a socket lean: from then on the room pushes it any user, bot or channel
an event names that it has not been sent (room.py). Every reply here counts what it
carries as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backchannel.cursors import decode_cursor, next_cursor_metadata
from backchannel.edge.cache.rows import WorkspaceCache
from backchannel.edge.peer import Handler, Peer
from backchannel.edge.room import Room
from backchannel.edge.session import Session
from backchannel.errors import InvalidArgument, NotFound
from backchannel.services.realtime import boot as boot_service
from backchannel.services.realtime.boot import ReadMark
from backchannel.wire import boot_list, message_json, self_json

MAX_IDS = 100  # ids one users.info, bots.info or channels.info may name
SEARCH_LIMIT, MAX_SEARCH = 20, 100
MEMBERS_LIMIT, MAX_MEMBERS = 100, 1000
MEMBERS_CURSOR = "members"


# -- client.boot ---------------------------------------------------------------------------


async def client_boot(peer: Peer, frame: dict[str, Any]) -> None:
    session = peer.session
    cache = await peer.workspace()
    viewer = session.user_id
    hosts = {
        str(cache.channels[channel_id].get("conversation_host_id") or cache.workspace_id)
        for channel_id in cache.joined.get(viewer, ())
        if channel_id in cache.channels
    }
    # The read state is the person's own: read from the shards, not cached.
    marks = await boot_service.read_marks(peer.ctx, session.workspace_id, viewer, hosts)
    # From here on nothing awaits: the reply shows the cache at its place in the stream.
    cache = await peer.workspace()
    peer.reply(frame, lean_boot(cache, peer.room, session, marks, peer.ctx.clock()))


def lean_boot(
    cache: WorkspaceCache,
    room: Room,
    session: Session,
    marks: Mapping[str, ReadMark],
    now: float,
) -> dict[str, Any]:
    viewer = session.user_id
    lists: dict[str, list[dict[str, Any]]] = {"channels": [], "groups": [], "ims": [], "mpims": []}
    people: set[str] = {viewer}
    bots: set[str] = set()
    for channel_id in cache.joined.get(viewer, ()):
        view = cache.channel_view(channel_id, viewer)
        if view is None:
            continue
        mark = marks.get(channel_id)
        _with_read_state(view, mark)
        if mark is not None and mark.latest is not None:
            people.update(filter(None, [mark.latest.user_id]))
            bots.update(filter(None, [mark.latest.bot_id]))
        if view.get("is_im"):
            people.add(str(view["user"]))
        people.update(view.get("members", ()))
        lists[boot_list(view)].append(view)
    me = cache.user_view(viewer, room.presence_of(viewer)) or {"name": "", "updated": 0}
    sent = set(cache.joined.get(viewer, ()))
    users = _users(cache, room, sorted(people), sent)
    found_bots = [cache.bots[bot_id] for bot_id in sorted(bots) if bot_id in cache.bots]
    sent.update(bot["id"] for bot in found_bots)
    session.sent = sent
    return {
        "self": self_json(
            viewer, str(me["name"]), float(me["updated"]), manual_away=viewer in room.manual_away
        ),
        "team": cache.team,
        **lists,
        "users": users,
        "bots": found_bots,
        "cache_ts": int(now),
        "lean": True,
    }


def _with_read_state(view: dict[str, Any], mark: ReadMark | None) -> None:
    """A conversation's read state; without a mark (the cache saw the join before the
    shard's read did), nothing is unread."""
    unread = mark.unread.messages if mark else 0
    direct = bool(view.get("is_im") or view.get("is_mpim"))
    view.update(
        last_read=mark.last_read if mark else None,
        unread_count=unread,
        unread_count_display=unread,
        mention_count=mark.mention_count(direct) if mark else 0,
    )
    if not view.get("is_im"):
        view["is_member"] = True
    latest = mark.latest if mark else None
    view["latest"] = message_json(latest) if latest is not None else None


def _users(
    cache: WorkspaceCache, room: Room, user_ids: list[str], sent: set[str]
) -> list[dict[str, Any]]:
    found = room.user_views(cache, user_ids)
    sent.update(str(user["id"]) for user in found)
    return found


# -- queries -------------------------------------------------------------------------------


async def users_info(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    viewer, sent = peer.session.user_id, peer.session.sent_ids()
    wanted = _ids(frame, "users")
    visible = [user_id for user_id in wanted if _may_see_user(cache, viewer, user_id)]
    users = _users(cache, peer.room, visible, sent)
    found = {user["id"] for user in users}
    peer.reply(frame, {"users": users, "missing": [i for i in wanted if i not in found]})


def _may_see_user(cache: WorkspaceCache, viewer: str, user_id: str) -> bool:
    """People of the workspace, and those of other workspaces who share a channel with the
    viewer (as users.info on the Web API)."""
    if user_id not in cache.users:
        return False
    if user_id in cache.user_keys:  # a person of this workspace (see WorkspaceCache)
        return True
    return not set(cache.joined.get(user_id, ())).isdisjoint(cache.joined.get(viewer, ()))


async def bots_info(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    wanted = _ids(frame, "bots")
    bots = [cache.bots[bot_id] for bot_id in wanted if bot_id in cache.bots]
    peer.session.sent_ids().update(bot["id"] for bot in bots)
    missing = [bot_id for bot_id in wanted if bot_id not in cache.bots]
    peer.reply(frame, {"bots": bots, "missing": missing})


async def users_search(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    found = cache.search_users(_query(frame), _limit(frame, SEARCH_LIMIT, MAX_SEARCH))
    peer.reply(frame, {"users": _users(cache, peer.room, found, peer.session.sent_ids())})


async def channels_info(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    wanted = _ids(frame, "channels")
    views = [cache.channel_view(channel_id, peer.session.user_id) for channel_id in wanted]
    channels = [view for view in views if view is not None]
    found = {view["id"] for view in channels}
    peer.session.sent_ids().update(found)
    peer.reply(frame, {"channels": channels, "missing": [i for i in wanted if i not in found]})


async def channels_search(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    viewer = peer.session.user_id
    found = cache.search_channels(_query(frame), viewer, _limit(frame, SEARCH_LIMIT, MAX_SEARCH))
    channels = [view for view in (cache.channel_view(i, viewer) for i in found) if view]
    peer.session.sent_ids().update(found)
    peer.reply(frame, {"channels": channels})


async def conversations_members(peer: Peer, frame: dict[str, Any]) -> None:
    cache = await peer.workspace()
    channel_id = frame.get("channel")
    if not isinstance(channel_id, str) or not cache.may_see(channel_id, peer.session.user_id):
        raise NotFound(f"no channel {str(channel_id)[:40]!r}", slack_error="channel_not_found")
    cursor = frame.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidArgument("cursor must be a string", slack_error="invalid_cursor")
    after = decode_cursor(MEMBERS_CURSOR, cursor) or ""
    page, more = cache.members_page(channel_id, after, _limit(frame, MEMBERS_LIMIT, MAX_MEMBERS))
    metadata = next_cursor_metadata(MEMBERS_CURSOR, page[-1] if more and page else None)
    peer.reply(frame, {"members": page, "response_metadata": metadata})


def _ids(frame: dict[str, Any], key: str) -> list[str]:
    ids = frame.get(key)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
        raise InvalidArgument(f'"{key}" must be a list of ids', slack_error="invalid_arguments")
    if len(ids) > MAX_IDS:
        raise InvalidArgument(
            f"at most {MAX_IDS} ids at once, got {len(ids)}", slack_error="too_many_ids"
        )
    return list(dict.fromkeys(ids))


def _query(frame: dict[str, Any]) -> str:
    query = frame.get("query")
    if not isinstance(query, str) or len(query) > 80:
        raise InvalidArgument(
            '"query" must be a string of at most 80 characters', slack_error="invalid_arguments"
        )
    return query.strip()


def _limit(frame: dict[str, Any], default: int, most: int) -> int:
    limit = frame.get("limit", default)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= most:
        raise InvalidArgument(
            f'"limit" must be a number from 1 to {most}', slack_error="invalid_arguments"
        )
    return limit


HANDLERS: dict[str, Handler] = {
    "client.boot": client_boot,
    "users.info": users_info,
    "bots.info": bots_info,
    "users.search": users_search,
    "channels.info": channels_info,
    "channels.search": channels_search,
    "conversations.members": conversations_members,
}
