"""One workspace's cached directory on an edge (docs/edge-cache.md): its users, bots,
channels, memberships and team, filled whole from a snapshot (services/realtime/boot.py),
kept fresh by events.py, and read here as one viewer may see them."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from backchannel.edge.cache import sorted_index
from backchannel.edge.cache.sorted_index import find
from backchannel.models import Bot, Channel, User
from backchannel.services.realtime.boot import Snapshot
from backchannel.wire import bot_json, conversation_json, team_json, user_json

# What a conversation's JSON says for one viewer only: added when it is rendered for them.
VIEWER_FIELDS = (
    "is_member",
    "last_read",
    "unread_count",
    "unread_count_display",
    "mention_count",
    "members",
    "num_members",
    "latest",
    "user",
)
# Rough bytes per cached row beyond its JSON: the dicts, lists and sets that index it.
ROW_OVERHEAD = 200
MEMBER_BYTES = 120


@dataclass(eq=False)
class WorkspaceCache:
    workspace_id: str
    team: dict[str, Any]
    epoch: str
    through: int  # the log's events up to here are in the rows; later ones are applied
    base_url: str  # where default avatars are served (ServiceContext.public_url)
    users: dict[str, bytes] = field(default_factory=dict)  # user JSON, without presence
    names: sorted_index.Index = field(default_factory=list)  # sorted (search key, id)
    user_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inactive: set[str] = field(default_factory=set)  # deactivated people
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # no viewer fields
    channel_names: sorted_index.Index = field(default_factory=list)  # sorted (name, id)
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> ids, sorted
    # user -> the channel ids they are in, sorted. Tuples, not sets: the garbage collector
    # stops walking tuples of strings, and 32,000 sets made a full collection take 60 ms.
    joined: dict[str, tuple[str, ...]] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)  # channel -> events applied
    stale: set[str] = field(default_factory=set)  # channels to read again (events.py)
    size: int = 0
    _indexing: bool = True  # False while filling: the indexes are sorted afterwards

    # -- filling -----------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, base_url: str) -> WorkspaceCache:
        through = snapshot.through
        team = team_json(snapshot.workspace, "")
        cache = cls(snapshot.workspace.id, team, through.epoch, through.seq, base_url)
        for bot in snapshot.bots:
            cache.bots[bot.id] = bot_json(bot, base_url)
        # The indexes are sorted once at the end: inserting 32,000 people one by one into a
        # sorted list would move it 32,000 times.
        cache._indexing = False
        for user in snapshot.users:
            cache.put_user(user)
        for channel in snapshot.channels:
            cache.put_channel(channel, snapshot.members.get(channel.id, []))
        cache._indexing = True
        cache.names.sort()
        cache.channel_names.sort()
        joined: dict[str, list[str]] = {}
        for channel_id, members in cache.members.items():
            for user_id in members:
                joined.setdefault(user_id, []).append(channel_id)
        cache.joined = {user_id: tuple(sorted(ids)) for user_id, ids in joined.items()}
        cache.size = cache.estimate()
        return cache

    def estimate(self) -> int:
        """Bytes this workspace takes, roughly: the JSON of its rows and their indexes."""
        users = sum(len(body) + ROW_OVERHEAD for body in self.users.values())
        channels = len(self.channels) * (ROW_OVERHEAD + 600)
        members = sum(map(len, self.members.values())) * MEMBER_BYTES
        return users + channels + members + len(self.bots) * ROW_OVERHEAD

    # -- writing -----------------------------------------------------------------------

    def put_channel(self, channel: Channel, members: Iterable[str]) -> None:
        """Store a conversation read from its shard, with its members (replacing both)."""
        ordered = sorted(members)
        view = conversation_json(channel, members=ordered if channel.is_mpim else None)
        self.set_channel(channel.id, view)
        if self._indexing:  # while filling, `joined` is made from `members` at the end
            for user_id in self.members.get(channel.id, []):
                self._set_joined(user_id, channel.id, False)
            for user_id in ordered:
                self._set_joined(user_id, channel.id, True)
        self.members[channel.id] = ordered

    def put_user(self, user: User) -> None:
        self.put_user_view(user_json(user, self.base_url))

    def drop_channel(self, channel_id: str) -> None:
        view = self.channels.pop(channel_id, None)
        if view is not None and view.get("name") and not view.get("is_mpim"):
            sorted_index.remove(self.channel_names, (str(view["name"]), channel_id))
        for user_id in self.members.pop(channel_id, []):
            self._set_joined(user_id, channel_id, False)

    def update_channel(self, channel: Any, **changes: Any) -> None:
        """Change fields of a known conversation, named by id or by its JSON."""
        channel_id = channel.get("id") if isinstance(channel, dict) else channel
        view = self.channels.get(str(channel_id))
        if view is not None:
            self.set_channel(str(channel_id), {**view, **changes})

    def mark_stale(self, channel_id: str) -> None:
        if channel_id:
            self.stale.add(channel_id)

    def set_membership(self, channel_id: str, user_id: str, joined: bool) -> None:
        members = self.members.get(channel_id)
        if joined and (members is None or user_id not in self.users):
            # A channel the cache has never read, or a person of another workspace new to
            # it (a shared channel): read the channel again, with its newcomers.
            self.mark_stale(channel_id)
        if members is None:
            return
        at, present = find(members, user_id)
        if joined and not present:
            members.insert(at, user_id)
            self._set_joined(user_id, channel_id, True)
        elif not joined and present:
            del members[at]
            self._set_joined(user_id, channel_id, False)

    def _set_joined(self, user_id: str, channel_id: str, joined: bool) -> None:
        mine = self.joined.get(user_id, ())
        at, present = find(mine, channel_id)
        if joined and not present:
            self.joined[user_id] = (*mine[:at], channel_id, *mine[at:])
        elif not joined and present:
            self.joined[user_id] = mine[:at] + mine[at + 1 :]

    def set_channel(self, channel_id: str, view: dict[str, Any]) -> None:
        before = self.channels.get(channel_id)
        if before is not None and before.get("name") and not before.get("is_mpim"):
            sorted_index.remove(self.channel_names, (str(before["name"]), channel_id))
        self.channels[channel_id] = view
        if view.get("name") and not view.get("is_mpim") and not view.get("is_im"):
            self._index(self.channel_names, (str(view["name"]), channel_id))

    def put_user_view(self, user: dict[str, Any]) -> None:
        """Store a person's JSON (without presence), and index them for search."""
        user_id = str(user["id"])
        # Copied to its own size: orjson's buffer keeps kilobytes of spare room per object.
        self.users[user_id] = bytes(memoryview(orjson.dumps(user)))
        if user.get("deleted"):
            self.inactive.add(user_id)
        else:
            self.inactive.discard(user_id)
        for key in self.user_keys.pop(user_id, ()):
            sorted_index.remove(self.names, (key, user_id))
        if user.get("team_id") == self.workspace_id:  # people of other workspaces: no search
            keys = _search_keys(user)
            self.user_keys[user_id] = keys
            for key in keys:
                self._index(self.names, (key, user_id))
        bot_id = (user.get("profile") or {}).get("bot_id")
        if isinstance(bot_id, str):
            self._put_bot_user(bot_id, user)

    def _put_bot_user(self, bot_id: str, user: dict[str, Any]) -> None:
        known = self.bots.get(bot_id)
        if known is not None:
            deleted = bool(user.get("deleted"))
            if known["deleted"] != deleted:  # the bot's row changes with its user's only then
                known["deleted"] = deleted
                known["updated"] = int(user.get("updated", known["updated"]))
            return
        bot = Bot(
            id=bot_id,
            workspace_id=str(user.get("team_id", self.workspace_id)),
            user_id=str(user["id"]),
            name=str(user.get("real_name", "")),
            deleted=bool(user.get("deleted")),
            updated=float(user.get("updated", 0)),
        )
        self.bots[bot_id] = bot_json(bot, self.base_url)

    def _index(self, index: sorted_index.Index, entry: tuple[str, str]) -> None:
        if self._indexing:
            bisect.insort(index, entry)
        else:
            index.append(entry)

    # -- reading -----------------------------------------------------------------------

    def is_in(self, user_id: str, channel_id: str) -> bool:
        return find(self.joined.get(user_id, ()), channel_id)[1]

    def user_view(self, user_id: str, presence: str) -> dict[str, Any] | None:
        body = self.users.get(user_id)
        if body is None:
            return None
        user: dict[str, Any] = orjson.loads(body)
        user["presence"] = presence
        return user

    def may_see(self, channel_id: str, viewer: str) -> bool:
        """Public channels, and the conversations `viewer` is in."""
        view = self.channels.get(channel_id)
        if view is None:
            return False
        return self.is_in(viewer, channel_id) or not (view.get("is_private") or view.get("is_im"))

    def channel_view(self, channel_id: str, viewer: str) -> dict[str, Any] | None:
        """A conversation as `viewer` sees it, without read state; None if they may not."""
        if not self.may_see(channel_id, viewer):
            return None
        view = dict(self.channels[channel_id])
        members = self.members.get(channel_id, [])
        if view.get("is_im"):
            others = [member for member in members if member != viewer]
            view["user"] = others[0] if others else viewer
            return view
        view["is_member"] = self.is_in(viewer, channel_id)
        view["num_members"] = len(members)
        if view.get("is_mpim"):
            view["members"] = list(members)
        return view

    def search_users(self, query: str, limit: int) -> list[str]:
        """Active people of the workspace with a search key starting with the query's first
        word, in the order of that key, who also have a key starting with each other word
        ("ann lee" finds Ann Leeds)."""
        first, *others = query.lower().split() or [""]

        def wanted(user_id: str) -> bool:
            keys = self.user_keys.get(user_id, ())
            return user_id not in self.inactive and all(
                any(key.startswith(word) for key in keys) for word in others
            )

        return sorted_index.search(self.names, first, limit, wanted)

    def search_channels(self, prefix: str, viewer: str, limit: int) -> list[str]:
        """Channels `viewer` may see whose name starts with `prefix`, by name."""
        return sorted_index.search(
            self.channel_names, prefix.lower(), limit, lambda cid: self.may_see(cid, viewer)
        )

    def members_page(self, channel_id: str, after: str, limit: int) -> tuple[list[str], bool]:
        """Members after the id `after`, by id; and whether more follow."""
        members = self.members.get(channel_id, [])
        start = bisect.bisect_right(members, after) if after else 0
        page = members[start : start + limit]
        return page, start + limit < len(members)


def channel_type_in(cache: WorkspaceCache | None, channel_id: str | None) -> str | None:
    """Slack's `channel_type` of a cached conversation (channel, group, im, mpim); None if
    the cache does not hold it."""
    view = cache.channels.get(channel_id) if cache is not None and channel_id else None
    if view is None:
        return None
    if view.get("is_im"):
        return "im"
    if view.get("is_mpim"):
        return "mpim"
    return "group" if view.get("is_private") else "channel"


def _search_keys(user: dict[str, Any]) -> tuple[str, ...]:
    """A person is found by their handle, their display name, or any word of their name."""
    profile = user.get("profile") or {}
    keys = {str(user.get("name", "")).lower(), str(profile.get("display_name", "")).lower()}
    keys.update(word.lower() for word in str(user.get("real_name", "")).split())
    keys.discard("")
    return tuple(sorted(keys))
