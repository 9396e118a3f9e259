"""The edge's cache of each workspace's directory: users, bots, channels, memberships, team
(docs/edge-cache.md, Slack's Flannel).

A workspace is read whole on its first use (services/realtime/boot.py `snapshot`) and from then on
kept fresh by the events of its log, applied here before the sockets get them: so whatever
a socket is sent from the cache is the state at that point of its stream. Whole workspaces
are evicted, least recently used first, when the estimated size passes the bound.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from backchannel.errors import BackchannelError
from backchannel.models import Bot, Channel, Event, User
from backchannel.services import ServiceContext
from backchannel.services.realtime import boot as boot_service
from backchannel.services.tenancy.assignments import workspace_log
from backchannel.wire import bot_json, conversation_json, team_json, user_json

log = logging.getLogger(__name__)

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
MENTION = re.compile(r"<([@#])([A-Z][A-Z0-9]{2,15})(?:\|[^>]*)?>")
# Rough bytes per cached row beyond its JSON: the dicts, lists and sets that index it.
ROW_OVERHEAD = 200
MEMBER_BYTES = 120
_Item = TypeVar("_Item", str, tuple[str, str])


@dataclass(frozen=True)
class Named:
    """The ids an event names, and the objects it carries whole (the client has those)."""

    users: tuple[str, ...] = ()
    bots: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    carried: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.bots or self.channels or self.carried)


@dataclass(eq=False)
class WorkspaceCache:
    workspace_id: str
    team: dict[str, Any]
    epoch: str
    through: int  # the log's events up to here are in the rows; later ones are applied
    base_url: str  # where default avatars are served (ServiceContext.public_url)
    users: dict[str, bytes] = field(default_factory=dict)  # user JSON, without presence
    names: list[tuple[str, str]] = field(default_factory=list)  # sorted (search key, id)
    user_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    inactive: set[str] = field(default_factory=set)  # deactivated people
    bots: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # no viewer fields
    channel_names: list[tuple[str, str]] = field(default_factory=list)  # sorted (name, id)
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> ids, sorted
    # user -> the channel ids they are in, sorted. Tuples, not sets: the garbage collector
    # stops walking tuples of strings, and 32,000 sets made a full collection take 60 ms.
    joined: dict[str, tuple[str, ...]] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)  # channel -> events applied
    stale: set[str] = field(default_factory=set)  # channels to read again (see apply)
    size: int = 0
    _indexing: bool = True  # False while filling: the indexes are sorted afterwards

    # -- filling -----------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: boot_service.Snapshot, base_url: str) -> WorkspaceCache:
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

    def put_channel(self, channel: Channel, members: Iterable[str]) -> None:
        """Store a conversation read from its shard, with its members (replacing both)."""
        ordered = sorted(members)
        view = conversation_json(channel, members=ordered if channel.is_mpim else None)
        self._set_channel(channel.id, view)
        if self._indexing:  # while filling, `joined` is made from `members` at the end
            for user_id in self.members.get(channel.id, []):
                self._set_joined(user_id, channel.id, False)
            for user_id in ordered:
                self._set_joined(user_id, channel.id, True)
        self.members[channel.id] = ordered

    def put_user(self, user: User) -> None:
        self._put_user(user_json(user, self.base_url))

    def drop_channel(self, channel_id: str) -> None:
        view = self.channels.pop(channel_id, None)
        if view is not None and view.get("name") and not view.get("is_mpim"):
            self._unindex(self.channel_names, (str(view["name"]), channel_id))
        for user_id in self.members.pop(channel_id, []):
            self._set_joined(user_id, channel_id, False)

    # -- events ------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Bring the rows up to `event`: it is the next one of the log after `through`
        (older ones are in the rows already). Channels an event does not describe well
        enough (shared, unshared, joined while unknown) are marked stale for a re-read."""
        position = event.position
        if position is None:
            return  # typing, presence: nothing the cache holds
        if position.epoch != self.epoch or position.seq <= self.through:
            return
        self.through = position.seq
        payload = event.payload
        kind = event.type
        channel = payload.get("channel")
        touched = event.channel_id or (channel.get("id") if isinstance(channel, dict) else channel)
        if isinstance(touched, str):  # a re-read of it that began before is out of date
            self.changes[touched] = self.changes.get(touched, 0) + 1
        if kind in ("user_change", "team_join") and isinstance(payload.get("user"), dict):
            # Never a relayed copy of a seat elsewhere of someone who sits here (profiles.py).
            self._put_user({k: v for k, v in payload["user"].items() if k != "presence"})
        elif kind in ("channel_created", "group_joined", "im_created", "mpim_joined"):
            self._created(event)
        elif kind.endswith("_rename"):
            self._renamed(payload.get("channel"))
        elif kind.endswith("_archive") or kind.endswith("_unarchive"):
            self._update(payload.get("channel"), is_archived=kind.endswith("_archive"))
        elif kind in ("channel_shared", "channel_unshared"):
            self._mark_stale(str(payload.get("channel", "")))
        elif kind == "message" and payload.get("subtype") in ("channel_topic", "channel_purpose"):
            self._set_text(event)
        if event.membership is not None and event.channel_id and event.user_id:
            self._membership(event.channel_id, event.user_id, event.membership == "join")

    def _created(self, event: Event) -> None:
        view = event.payload.get("channel")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            return
        channel_id = view["id"]
        if event.type == "channel_created":
            # A summary only (id, name, created, creator): a new public channel, all else
            # at its defaults.
            channel = Channel(
                id=channel_id,
                workspace_id=event.workspace_id,
                name=str(view.get("name", "")),
                is_private=False,
                is_im=False,
                is_mpim=False,
                is_general=False,
                is_archived=False,
                creator=str(view.get("creator") or "") or None,
                created=float(view.get("created", 0)),
            )
            if channel_id not in self.channels:
                self.put_channel(channel, [])
            return
        if channel_id not in self.channels:
            self._set_channel(channel_id, {k: v for k, v in view.items() if k not in VIEWER_FIELDS})
            self.members.setdefault(channel_id, [])  # its joins come as their own events
            if event.type == "group_joined" and _made_here(view, self.workspace_id):
                # A private channel made since the snapshot: its creator's member_joined came
                # first, while the channel was unknown. Its creator is its one member.
                self._membership(channel_id, str(event.user_id), True)
                self.stale.discard(channel_id)

    def _renamed(self, summary: Any) -> None:
        if isinstance(summary, dict) and isinstance(summary.get("name"), str):
            name = summary["name"]
            self._update(summary.get("id"), name=name, name_normalized=name)

    def _update(self, channel: Any, **changes: Any) -> None:
        channel_id = channel.get("id") if isinstance(channel, dict) else channel
        view = self.channels.get(str(channel_id))
        if view is not None:
            self._set_channel(str(channel_id), {**view, **changes})

    def _set_text(self, event: Event) -> None:
        """A channel_topic or channel_purpose message carries the new value."""
        payload = event.payload
        setting = str(payload["subtype"]).removeprefix("channel_")
        value = payload.get(setting)
        if isinstance(value, str) and event.channel_id:
            last_set = int(float(str(payload.get("ts", "0")) or 0))
            text = {"value": value, "creator": payload.get("user", ""), "last_set": last_set}
            self._update(event.channel_id, **{setting: text})

    def _mark_stale(self, channel_id: str) -> None:
        if channel_id:
            self.stale.add(channel_id)

    def _membership(self, channel_id: str, user_id: str, joined: bool) -> None:
        members = self.members.get(channel_id)
        if joined and (members is None or user_id not in self.users):
            # A channel the cache has never read, or a person of another workspace new to
            # it (a shared channel): read the channel again, with its newcomers.
            self._mark_stale(channel_id)
        if members is None:
            return
        at, present = _find(members, user_id)
        if joined and not present:
            members.insert(at, user_id)
            self._set_joined(user_id, channel_id, True)
        elif not joined and present:
            del members[at]
            self._set_joined(user_id, channel_id, False)

    def _set_joined(self, user_id: str, channel_id: str, joined: bool) -> None:
        mine = self.joined.get(user_id, ())
        at, present = _find(mine, channel_id)
        if joined and not present:
            self.joined[user_id] = (*mine[:at], channel_id, *mine[at:])
        elif not joined and present:
            self.joined[user_id] = mine[:at] + mine[at + 1 :]

    def is_in(self, user_id: str, channel_id: str) -> bool:
        return _find(self.joined.get(user_id, ()), channel_id)[1]

    def _set_channel(self, channel_id: str, view: dict[str, Any]) -> None:
        before = self.channels.get(channel_id)
        if before is not None and before.get("name") and not before.get("is_mpim"):
            self._unindex(self.channel_names, (str(before["name"]), channel_id))
        self.channels[channel_id] = view
        if view.get("name") and not view.get("is_mpim") and not view.get("is_im"):
            self._index(self.channel_names, (str(view["name"]), channel_id))

    def _put_user(self, user: dict[str, Any]) -> None:
        user_id = str(user["id"])
        # Copied to its own size: orjson's buffer keeps kilobytes of spare room per object.
        self.users[user_id] = bytes(memoryview(orjson.dumps(user)))
        if user.get("deleted"):
            self.inactive.add(user_id)
        else:
            self.inactive.discard(user_id)
        for key in self.user_keys.pop(user_id, ()):
            self._unindex(self.names, (key, user_id))
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

    def _index(self, index: list[tuple[str, str]], entry: tuple[str, str]) -> None:
        if self._indexing:
            bisect.insort(index, entry)
        else:
            index.append(entry)

    @staticmethod
    def _unindex(index: list[tuple[str, str]], entry: tuple[str, str]) -> None:
        at, present = _find(index, entry)
        if present:
            del index[at]

    # -- reading -----------------------------------------------------------------------

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

        return self._search(self.names, first, limit, wanted)

    def search_channels(self, prefix: str, viewer: str, limit: int) -> list[str]:
        """Channels `viewer` may see whose name starts with `prefix`, by name."""
        return self._search(
            self.channel_names, prefix.lower(), limit, lambda cid: self.may_see(cid, viewer)
        )

    @staticmethod
    def _search(
        index: list[tuple[str, str]], prefix: str, limit: int, wanted: Callable[[str], bool]
    ) -> list[str]:
        found: dict[str, None] = {}
        for key, item in _from(index, prefix):
            if not key.startswith(prefix):
                break
            if item not in found and wanted(item):
                found[item] = None
                if len(found) >= limit:
                    break
        return list(found)

    def members_page(self, channel_id: str, after: str, limit: int) -> tuple[list[str], bool]:
        """Members after the id `after`, by id; and whether more follow."""
        members = self.members.get(channel_id, [])
        start = bisect.bisect_right(members, after) if after else 0
        page = members[start : start + limit]
        return page, start + limit < len(members)

    def named(self, payload: dict[str, Any]) -> Named:
        """The users, bots and channels an event names (Flannel's just-in-time objects)."""
        users: list[str] = []
        bots: list[str] = []
        channels: list[str] = []
        carried: list[str] = []
        for part in _parts(payload):
            for key in ("user", "inviter", "item_user"):
                value = part.get(key)
                if isinstance(value, str):
                    users.append(value)
                elif isinstance(value, dict) and isinstance(value.get("id"), str):
                    carried.append(value["id"])
            bot_id = part.get("bot_id")
            if isinstance(bot_id, str):
                bots.append(bot_id)
            channel = part.get("channel")
            if isinstance(channel, str):
                channels.append(channel)
            elif isinstance(channel, dict) and isinstance(channel.get("id"), str):
                # A whole conversation (group_joined, im_created) is the object itself, and
                # names its people: a DM's other person, a group DM's members.
                (carried if "is_im" in channel else channels).append(channel["id"])
                if isinstance(channel.get("user"), str):
                    users.append(channel["user"])
                users.extend(m for m in channel.get("members") or () if isinstance(m, str))
            text = part.get("text")
            if isinstance(text, str) and "<" in text:
                for sigil, named_id in MENTION.findall(text):
                    (users if sigil == "@" else channels).append(named_id)
        return Named(tuple(users), tuple(bots), tuple(channels), tuple(carried))


def _made_here(view: dict[str, Any], workspace_id: str) -> bool:
    """A conversation of this workspace, shared with no other (whose members it knows)."""
    return view.get("context_team_id") == workspace_id and not view.get("is_shared")


def _parts(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The event, and the message inside an edit (message_changed, message_replied)."""
    yield payload
    inner = payload.get("message")
    if isinstance(inner, dict):
        yield inner


def _find(ordered: Sequence[_Item], item: _Item) -> tuple[int, bool]:
    """Where `item` is, or would go, in a sorted sequence; and whether it is there."""
    at = bisect.bisect_left(ordered, item)
    return at, at < len(ordered) and ordered[at] == item


def _from(index: list[tuple[str, str]], prefix: str) -> Iterator[tuple[str, str]]:
    for at in range(bisect.bisect_left(index, (prefix, "")), len(index)):
        yield index[at]


def _search_keys(user: dict[str, Any]) -> tuple[str, ...]:
    """A person is found by their handle, their display name, or any word of their name."""
    profile = user.get("profile") or {}
    keys = {str(user.get("name", "")).lower(), str(profile.get("display_name", "")).lower()}
    keys.update(word.lower() for word in str(user.get("real_name", "")).split())
    keys.discard("")
    return tuple(sorted(keys))


InUse = Callable[[str], bool]
Follow = Callable[[str], Awaitable[None]]


class EdgeCache:
    """Every workspace's cache on this edge, filled on first use, least recently used
    first out when the whole passes `max_bytes` (workspaces with open sockets stay)."""

    def __init__(
        self, ctx: ServiceContext, *, max_bytes: int, in_use: InUse, follow: Follow
    ) -> None:
        self.ctx = ctx
        self.max_bytes = max_bytes
        self._in_use = in_use
        self._follow = follow
        self._workspaces: OrderedDict[str, WorkspaceCache] = OrderedDict()
        self._filling: dict[str, asyncio.Task[WorkspaceCache]] = {}
        self._early: dict[str, list[Event]] = {}  # events that came during a fill
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    @property
    def size(self) -> int:
        return sum(cache.size for cache in self._workspaces.values())

    def __contains__(self, workspace_id: str) -> bool:
        return workspace_id in self._workspaces

    def workspace_ids(self) -> list[str]:
        return list(self._workspaces)

    def peek(self, workspace_id: str) -> WorkspaceCache | None:
        return self._workspaces.get(workspace_id)

    async def get(self, workspace_id: str) -> WorkspaceCache:
        """The workspace's cache, filled now if it is not held (concurrent callers share
        one fill)."""
        cache = self._workspaces.get(workspace_id)
        if cache is not None:
            self._workspaces.move_to_end(workspace_id)
            return cache
        task = self._filling.get(workspace_id)
        if task is None:
            task = asyncio.create_task(self._fill(workspace_id), name=f"fill-{workspace_id}")
            self._filling[workspace_id] = task
            task.add_done_callback(lambda _: self._filling.pop(workspace_id, None))
        return await asyncio.shield(task)

    async def _fill(self, workspace_id: str) -> WorkspaceCache:
        self._early[workspace_id] = []
        try:
            # Follow the log first, so that every event after the snapshot reaches us.
            stream = await workspace_log(self.ctx, workspace_id)
            await self._follow(stream)
            snapshot = await boot_service.snapshot(self.ctx, workspace_id)
            cache = WorkspaceCache.from_snapshot(snapshot, self.ctx.public_url)
            for event in self._early.pop(workspace_id):
                cache.apply(event)
        finally:
            self._early.pop(workspace_id, None)
        if await workspace_log(self.ctx, workspace_id) != stream:
            return cache  # it moved shard meanwhile (its sockets are told): not kept
        self._workspaces[workspace_id] = cache
        self._refresh_stale(cache)
        self._evict(keep=workspace_id)
        return cache

    def apply(self, event: Event) -> None:
        """An event of a workspace's log, before any socket gets it."""
        early = self._early.get(event.workspace_id)
        if early is not None:
            early.append(event)
            return
        cache = self._workspaces.get(event.workspace_id)
        if cache is not None:
            cache.apply(event)
            if cache.stale:
                self._refresh_stale(cache)

    def drop(self, workspace_id: str) -> None:
        """Forget a workspace (it moved to another edge or DB shard): a later use reads it
        afresh."""
        self._workspaces.pop(workspace_id, None)
        task = self._refreshing.pop(workspace_id, None)
        if task is not None:
            task.cancel()

    def _evict(self, *, keep: str) -> None:
        total = self.size
        for workspace_id in list(self._workspaces):
            if total <= self.max_bytes:
                return
            if workspace_id == keep or self._in_use(workspace_id):
                continue
            total -= self._workspaces[workspace_id].size
            self.drop(workspace_id)
            log.info("edge cache: evicted workspace %s (%.1f MB held)", workspace_id, total / 1e6)

    # -- channels to read again ----------------------------------------------------------

    def _refresh_stale(self, cache: WorkspaceCache) -> None:
        if cache.stale and cache.workspace_id not in self._refreshing:
            task = asyncio.create_task(self._refresh(cache), name=f"refresh-{cache.workspace_id}")
            self._refreshing[cache.workspace_id] = task

    async def _refresh(self, cache: WorkspaceCache) -> None:
        """Read the stale channels again, until none is left; a channel that changed while
        it was read is read once more, so an older read never overwrites a newer event."""
        try:
            while cache.stale and self._workspaces.get(cache.workspace_id) is cache:
                channel_id = cache.stale.pop()
                seen = cache.changes.get(channel_id, 0)
                try:
                    found = await boot_service.channel_snapshot(
                        self.ctx, cache.workspace_id, channel_id, cache.users.keys()
                    )
                except BackchannelError as exc:
                    log.warning("edge cache: cannot read channel %s: %s", channel_id, exc)
                    await asyncio.sleep(1.0)
                    cache.stale.add(channel_id)
                    continue
                if cache.changes.get(channel_id, 0) != seen:
                    cache.stale.add(channel_id)
                elif found is None:
                    cache.drop_channel(channel_id)
                else:
                    cache.put_channel(found.channel, found.members)
                    for user in found.newcomers:
                        cache.put_user(user)
        finally:
            if self._refreshing.get(cache.workspace_id) is asyncio.current_task():
                del self._refreshing[cache.workspace_id]

    async def close(self) -> None:
        tasks = [*self._refreshing.values(), *self._filling.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, BackchannelError):
                await task
