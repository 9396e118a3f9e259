"""A workspace's sessions on this edge, indexed by user and by channel, and the fanout.

An event is framed once and the same bytes are written to every socket that should get it
(docs/realtime.md). Sessions still catching up keep the events in their backlog instead.
The events of one turn of the loop come one after another (delivery.py): those for the
same sockets are held back and written to each in one go by flush(). The fanout says how
many frames it wrote, for the metrics (docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backchannel.edge.cache.named import Named, named
from backchannel.edge.cache.rows import WorkspaceCache
from backchannel.edge.frames import event_frame, json_frame
from backchannel.edge.session import POLICY_VIOLATION, Burst, Session, write_to_all
from backchannel.models import Event
from backchannel.models.events import REVOCATION


@dataclass(eq=False)
class Room:
    workspace_id: str
    sessions: set[Session] = field(default_factory=set)  # live ones
    catching_up: set[Session] = field(default_factory=set)
    by_user: dict[str, set[Session]] = field(default_factory=dict)
    by_channel: dict[str, set[Session]] = field(default_factory=dict)
    presence_subs: dict[str, set[Session]] = field(default_factory=dict)
    manual_away: set[str] = field(default_factory=set)
    cache: WorkspaceCache | None = None  # once a socket has asked for a lean boot
    held: Held | None = None  # frames dispatch() held back for flush()

    # -- sessions ----------------------------------------------------------------------

    def add(self, session: Session) -> bool:
        """Register a session that is about to catch up; True if its user just came online."""
        self.catching_up.add(session)
        sessions = self.by_user.setdefault(session.user_id, set())
        sessions.add(session)
        return len(sessions) == 1

    def go_live(self, session: Session) -> int:
        """Replay what arrived while the session caught up, then index it: no await between,
        so no event can slip past. The number of events replayed."""
        backlog, session.backlog = session.backlog or [], None
        sent = 0
        for event in backlog:
            if session.accept(event):
                session.write(event_frame(event))
                sent += 1
        self.catching_up.discard(session)
        self.sessions.add(session)
        session.on_index = self._index
        for channel_id in session.channels:
            self.by_channel.setdefault(channel_id, set()).add(session)
        return sent

    def remove(self, session: Session) -> bool:
        """Forget a session; True if its user has no session left here."""
        self.catching_up.discard(session)
        self.sessions.discard(session)
        session.on_index = None
        for channel_id in session.channels:
            self._unindex(self.by_channel, channel_id, session)
        for user_id in session.presence_subs:
            self._unindex(self.presence_subs, user_id, session)
        self._unindex(self.by_user, session.user_id, session)
        return session.user_id not in self.by_user

    @property
    def empty(self) -> bool:
        return not self.by_user

    def _index(self, session: Session, channel_id: str, joined: bool) -> None:
        if joined:
            self.by_channel.setdefault(channel_id, set()).add(session)
        else:
            self._unindex(self.by_channel, channel_id, session)

    @staticmethod
    def _unindex(index: dict[str, set[Session]], key: str, session: Session) -> None:
        members = index.get(key)
        if members is not None:
            members.discard(session)
            if not members:
                del index[key]

    # -- presence ----------------------------------------------------------------------

    def subscribe_presence(self, session: Session, user_ids: Iterable[str]) -> None:
        """Slack's presence_sub: the set replaces the previous one."""
        for user_id in session.presence_subs:
            self._unindex(self.presence_subs, user_id, session)
        session.presence_subs = frozenset(user_ids)
        for user_id in session.presence_subs:
            self.presence_subs.setdefault(user_id, set()).add(session)

    def presence_of(self, user_id: str) -> str:
        online = user_id in self.by_user and user_id not in self.manual_away
        return "active" if online else "away"

    def _presence(self, event: Event) -> int:
        user_id = str(event.payload.get("user", ""))
        if event.payload.get("presence") == "away":
            self.manual_away.add(user_id)
        else:
            self.manual_away.discard(user_id)
        return self.announce_presence(user_id)

    def announce_presence(self, user_id: str) -> int:
        """presence_change to those who watch the user; how many they are."""
        watchers = self.presence_subs.get(user_id)
        if not watchers:
            return 0
        frame = json_frame(
            {"type": "presence_change", "user": user_id, "presence": self.presence_of(user_id)}
        )
        for session in watchers:
            session.write(frame)
        return len(watchers)

    # -- fanout ------------------------------------------------------------------------

    def dispatch(self, event: Event) -> int:
        """Send the event to the sockets that should get it, or hold it back with the ones
        before it for the same sockets; how many frames it wrote (flush() writes the rest)."""
        if event.type == REVOCATION:  # not for clients: it closes sockets, catching up or not
            sent = self.flush()  # what came before it goes first
            for session in list(self.by_user.get(event.user_id or "", ())):
                session.close_if_revoked(event)
            return sent
        sent = self._deliver(event)
        if event.type == "user_change":
            sent += self.flush()  # they have the news: now they may close
            self._close_if_deactivated(event)
        return sent

    def flush(self) -> int:
        """Write the frames held back; how many."""
        held, self.held = self.held, None
        if held is None or not held.plain:
            return 0
        return write_to_all(held.plain, held.burst)

    def _deliver(self, event: Event) -> int:
        for session in self.catching_up:
            if session.backlog is not None:
                session.backlog.append(event)
        if event.type == "presence_change":
            return self.flush() + self._presence(event)
        audience = self._audience(event)
        if not audience:
            return 0
        frame = event_frame(event)
        if event.membership is None and event.skip_user is None and event.payload:
            # Every target wants it (the indexes say so): the common case, kept tight.
            return self._hold(event, audience, frame)
        sent = self.flush()  # whatever came before goes first
        targets = list(audience)
        if self.cache is not None:
            lean, targets = _split_lean(targets)
            sent += self._deliver_lean(event, lean, frame, self.cache)
        for session in targets:
            if session.accept(event):
                session.write(frame)
                sent += 1
        return sent

    def _hold(self, event: Event, audience: set[Session], frame: bytes) -> int:
        """Add the frame to the held ones if they are for the same sockets (the same set of
        the indexes, which only a membership change alters, and that flushes them first);
        else write those and hold this one. Lean sockets get theirs now, each its own."""
        held, sent = self.held, 0
        seq = event.position.seq if event.position else None
        if held is None or held.audience is not audience or not held.burst.takes(seq):
            sent = self.flush()
            lean, plain = _split_lean(list(audience)) if self.cache else ([], list(audience))
            held = self.held = Held(audience, plain, lean)
        if held.lean and self.cache is not None:
            sent += self._deliver_lean(event, held.lean, frame, self.cache)
        held.burst.add(frame, seq)
        return sent

    def _deliver_lean(
        self, event: Event, lean: list[Session], frame: bytes, cache: WorkspaceCache
    ) -> int:
        """Write the event to these lean sessions, each preceded by the objects it names
        that the session has not been sent; how many it was written to."""
        if not lean:
            return 0
        objects = named(event.payload)
        sent = 0
        for session in lean:
            if session.accept(event):
                if objects:
                    self._push_objects(session, objects, cache)
                session.write(frame)
                sent += 1
        return sent

    def _push_objects(self, session: Session, named: Named, cache: WorkspaceCache) -> None:
        """Flannel's just in time: one `objects` frame with what the event is about to name."""
        sent = session.sent
        assert sent is not None
        sent.update(named.carried)
        body: dict[str, object] = {"type": "objects"}
        users = self.user_views(cache, [u for u in dict.fromkeys(named.users) if u not in sent])
        bots = [
            cache.bots[bot_id]
            for bot_id in dict.fromkeys(named.bots)
            if bot_id not in sent and bot_id in cache.bots
        ]
        channels = [
            view
            for channel_id in dict.fromkeys(named.channels)
            if channel_id not in sent
            and (view := cache.channel_view(channel_id, session.user_id)) is not None
        ]
        for key, found in (("users", users), ("bots", bots), ("channels", channels)):
            if found:
                body[key] = found
                sent.update(str(item["id"]) for item in found)
        if len(body) > 1:
            session.write(json_frame(body))

    def user_views(self, cache: WorkspaceCache, user_ids: Iterable[str]) -> list[dict[str, Any]]:
        """These people as the cache has them, with their presence on this edge now; the
        ones it does not know are left out."""
        views = (cache.user_view(user_id, self.presence_of(user_id)) for user_id in user_ids)
        return [view for view in views if view is not None]

    def _close_if_deactivated(self, event: Event) -> None:
        """A deactivated person's sockets close, once they have had the news."""
        user = event.payload.get("user")
        if isinstance(user, dict) and user.get("deleted"):
            for session in self.by_user.get(str(user.get("id")), ()):
                session.start_closing(POLICY_VIOLATION, "account_inactive")

    def _audience(self, event: Event) -> set[Session]:
        """The live sessions that should get the event: a set of the indexes itself when
        it can be, so that the events after it for the same sockets are seen to be."""
        if event.scope == "workspace":
            return self.sessions
        own = self.by_user.get(event.user_id or "", set()) & self.sessions
        if event.scope == "user":
            return own
        members = self.by_channel.get(event.channel_id or "", set())
        return members if own <= members else members | own


@dataclass(slots=True)
class Held:
    """Frames of consecutive events for one audience, held back until the room's flush."""

    audience: set[Session]
    plain: list[Session]  # the audience but for its lean sessions, who got theirs already
    lean: list[Session]
    burst: Burst = field(default_factory=Burst)


def _split_lean(sessions: list[Session]) -> tuple[list[Session], list[Session]]:
    """(lean, others): lean sessions get objects before an event that names them."""
    lean = [session for session in sessions if session.sent is not None]
    if not lean:
        return lean, sessions
    return lean, [session for session in sessions if session.sent is None]
