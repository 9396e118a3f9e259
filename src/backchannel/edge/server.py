"""The edge's websocket server: admission (admission.py: a ticket), catch-up, hello, then
live events; apps' deliveries beside them (apps/).

See docs/realtime.md. Sockets are served by the `websockets` library on their own port; the
edge follows the event logs of the shards its workspaces live on, through the bus, and the
shard map, to let go of a workspace that moves to another shard (Workspace moves). The same
port answers a plain GET /metrics (docs/metrics.md): an edge process has no other.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from backchannel.bus import Subscription
from backchannel.bus.bus import EVENTS, LIVE
from backchannel.bus.codec import decode_event
from backchannel.edge.admission import Admission, Identity
from backchannel.edge.apps.delivery import ChannelTypes
from backchannel.edge.apps.hub import AppHub
from backchannel.edge.cache.rows import channel_type_in
from backchannel.edge.cache.workspaces import EdgeCache
from backchannel.edge.delivery import DeliveryQueue
from backchannel.edge.frames import (
    FrameLog,
    event_frame,
    json_frame,
    resume_token,
)
from backchannel.edge.peer import Peer
from backchannel.edge.protocol import UNREAD, handle_frame, rate_limited
from backchannel.edge.room import Room
from backchannel.edge.session import Session
from backchannel.edge.streams import StreamFollower
from backchannel.errors import AuthError, BackchannelError
from backchannel.metrics import Metrics
from backchannel.models import App, Event, ShardMap, TokenInfo, WorkspaceAssignment
from backchannel.models.topology import FROZEN
from backchannel.services import ServiceContext
from backchannel.services.people.directory import get_user
from backchannel.services.realtime import edges
from backchannel.services.realtime import events as event_service
from backchannel.services.tenancy.assignments import (
    shard_map_now,
    watch_shard_map,
)
from backchannel.types import keyspace_of

log = logging.getLogger(__name__)

MAX_FRAME = 16 * 1024  # Slack's RTM refused messages over 16 KB
FLOOD_CLOSE = 100  # frames over the allowance before the socket is closed
GOING_AWAY, POLICY, SERVICE_RESTART, TRY_AGAIN = 1001, 1008, 1012, 1013


@dataclass(frozen=True)
class Farewell:
    """What a workspace's sockets are told before the edge closes them; their clients come
    back through rtm.connect."""

    frame: bytes
    code: int
    reason: str


GOODBYE = Farewell(json_frame({"type": "goodbye"}), GOING_AWAY, "goodbye")  # another edge owns it
MIGRATING = Farewell(  # it moves to another DB shard (Slack's own event)
    json_frame({"type": "team_migration_started"}), SERVICE_RESTART, "team_migration_started"
)


DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
DEFAULT_OPEN_TIMEOUT = 10.0  # websockets' own default
DEFAULT_APP_DISABLE_AFTER = 3600.0


class Edge:
    def __init__(
        self,
        ctx: ServiceContext,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        metrics: Metrics | None = None,
        open_timeout: float = DEFAULT_OPEN_TIMEOUT,
        app_disable_after: float = DEFAULT_APP_DISABLE_AFTER,
    ) -> None:
        self.ctx = ctx
        self.open_timeout = open_timeout
        self.metrics = metrics or Metrics(process=False)
        self._delivered = self.metrics.events_delivered
        self._bus_lag = self.metrics.bus_lag
        self.cache = EdgeCache(ctx, max_bytes=cache_bytes, in_use=self._in_use, follow=self._follow)
        self.url: str | None = None  # where clients reach it: its key among the edges
        self.rooms: dict[str, Room] = {}
        self.followers: dict[str, StreamFollower] = {}
        self._deliveries = DeliveryQueue(self._deliver)
        self._releasing: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []
        self._server: Server | None = None
        self.apps = AppHub(ctx, host="edge", disable_after=app_disable_after)
        self.admission = Admission(ctx, self.metrics, self._owns)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, sock: socket.socket, url: str) -> None:
        """Serve sockets on `sock`; `url` is where clients reach it, as registered (see
        app.py's running_edge, which registers it and keeps it live)."""
        self.url = url
        self.apps.host = urlsplit(url).netloc or url
        self.metrics.watch_sockets(url, lambda: self.connections)
        watch_shard_map(self.ctx, self._on_shard_map)
        bus = self.ctx.bus
        self._subscriptions = [
            await bus.subscribe(f"{EVENTS}.*", self._on_durable),
            await bus.subscribe(f"{LIVE}.*", self._on_live),
        ]
        self._server = await serve(
            self._serve_socket,
            sock=sock,
            process_request=self.admission.handshake,
            compression=None,  # so one frame fits every socket
            max_size=MAX_FRAME,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=2,
            # The opening handshake, request headers to admission, or the connection goes.
            open_timeout=self.open_timeout,
            server_header=None,
            logger=FrameLog(logging.getLogger("websockets.server")),
        )

    async def stop(self) -> None:
        """Say goodbye to every client (Slack's `goodbye`), then close the sockets."""
        self._deliveries.close()  # what came before the goodbye goes first
        self.release(list(self.rooms))
        await self.apps.stop()
        await asyncio.gather(*self._releasing, return_exceptions=True)
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self.url is not None:
            self.metrics.forget_sockets(self.url)
        await self.cache.close()
        for follower in self.followers.values():
            await follower.stop()

    @property
    def connections(self) -> int:
        return sum(
            len(room.by_user) and sum(map(len, room.by_user.values()))
            for room in self.rooms.values()
        )

    # -- ownership (docs/edge-cache.md, Routing) ---------------------------------------

    async def _owns(self, workspace_id: str) -> bool:
        found = await edges.owner(self.ctx, workspace_id)
        return found is not None and found.url == self.url

    async def check_ownership(self) -> list[str]:
        """Let go of the workspaces another edge owns now (one joined, or came back); their
        ids. Run after each heartbeat."""
        # Rooms come and go while we wait; cached workspaces without sockets count too.
        held = sorted(set(self.rooms) | set(self.cache.workspace_ids()) | self.apps.workspaces())
        lost = [workspace_id for workspace_id in held if not await self._owns(workspace_id)]
        self.release(lost)
        await self.apps.sync(self._owns_followed, self._channel_types)
        return lost

    async def _owns_followed(self, workspace_id: str) -> bool:
        """Does this edge own the workspace? If so its log is followed (its cache filled),
        for its apps' deliveries."""
        if not await self._owns(workspace_id):
            return False
        await self.cache.get(workspace_id)
        return True

    def _channel_types(self, workspace_id: str) -> ChannelTypes:
        def channel_type(channel_id: str | None) -> str | None:
            return channel_type_in(self.cache.peek(workspace_id), channel_id)

        return channel_type

    def _in_use(self, workspace_id: str) -> bool:
        """Kept in the cache: a workspace with sockets here, or apps delivered to."""
        return workspace_id in self.rooms or workspace_id in self.apps.workspaces()

    def release(self, workspace_ids: Iterable[str], farewell: Farewell = GOODBYE) -> None:
        for workspace_id in workspace_ids:
            self._released(workspace_id, farewell)

    def _released(self, workspace_id: str, farewell: Farewell) -> None:
        """Bid the workspace's sockets farewell and close them: their clients come back
        through rtm.connect, to the owner, and resume from their last token. Its cache goes
        too: the owner keeps one."""
        self.cache.drop(workspace_id)
        if workspace_id in self.apps.workspaces():
            releasing = asyncio.create_task(self.apps.release(workspace_id))
            self._releasing.add(releasing)
            releasing.add_done_callback(self._releasing.discard)
        room = self.rooms.get(workspace_id)
        if room is None:
            return
        for session in room.sessions | room.catching_up:
            _bid(session, farewell)

    # -- workspace moves (docs/realtime.md, Workspace moves) ---------------------------

    def _on_shard_map(self, old: ShardMap, new: ShardMap) -> None:
        """Let go of the workspaces that froze for a move or now live on another DB shard:
        their sockets follow the old shard's log, their caches were filled from it."""
        held = sorted(set(self.rooms) | set(self.cache.workspace_ids()))
        self.release([w for w in held if _moved(old, new, w)], MIGRATING)

    def _left_behind(self, identity: Identity) -> bool:
        """Did the workspace begin to move after the socket's handshake? The shard map's
        observer did not see the socket then: it was in no room yet."""
        current = _assignment(shard_map_now(self.ctx), identity.caller.workspace_id)
        return _left(current, identity.since.stream)

    # -- the bus -----------------------------------------------------------------------

    def _on_durable(self, subject: str, data: bytes) -> None:
        event = self._decode(subject, data)
        if event is not None and event.position is not None:
            follower = self.followers.get(event.position.stream)
            if follower is not None:
                follower.receive(event)

    def _on_live(self, subject: str, data: bytes) -> None:
        event = self._decode(subject, data)
        if event is not None:
            self._dispatch(event)

    def _decode(self, subject: str, data: bytes) -> Event | None:
        try:
            event = decode_event(data)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("not an event on %s: %s", subject, exc)
            return None
        if event.sent_at is not None:  # clocks apart by a little must not make it negative
            self._bus_lag.observe(max(0.0, time.time() - event.sent_at))
        return event

    def _dispatch(self, event: Event) -> None:
        self._deliveries.put(event)  # delivered after this turn of the loop (delivery.py)

    def _deliver(self, events: list[Event]) -> None:
        """One turn's events, in order; the rooms write what they held back at the end."""
        rooms: dict[Room, None] = {}
        sent = 0
        try:
            for event in events:
                try:
                    # The cache first: what a socket is sent with this event must already
                    # reflect it.
                    self.cache.apply(event)
                    self.apps.notify(event)
                    room = self.rooms.get(event.workspace_id)
                    if room is not None:
                        rooms[room] = None
                        sent += room.dispatch(event)
                except Exception:  # one event that cannot be delivered must not stop the rest
                    log.exception("delivering %s failed", event.type)
        finally:
            for room in rooms:
                sent += room.flush()
            self._delivered.inc(sent)

    async def _follow(self, stream: str) -> None:
        follower = self.followers.get(stream)
        if follower is None:
            follower = StreamFollower(self.ctx, stream, self._dispatch)
            self.followers[stream] = follower
            try:
                await follower.start()
            except BaseException:
                del self.followers[stream]
                raise
        await follower.ready()

    # -- one socket --------------------------------------------------------------------

    async def _serve_socket(self, connection: ServerConnection) -> None:
        identity = self.admission.take(connection)
        if identity.app is not None:
            await self._serve_link(connection, identity.app, identity.caller)
            return
        caller = identity.caller
        session = Session(
            connection, caller.workspace_id, caller.user_id, caller.kind, caller.token_hash
        )
        if self._left_behind(identity):
            _bid(session, MIGRATING)
            await connection.wait_closed()
            return
        room = self.rooms.setdefault(caller.workspace_id, Room(caller.workspace_id))
        came_online = room.add(session)
        who = {"edge": self.url, "team": caller.workspace_id, "user": caller.user_id}
        log.info("socket opened", extra=who)
        try:
            await self._start_session(room, session, identity, came_online)
            await self._read_frames(room, session)
        except AuthError as exc:
            await connection.close(POLICY, exc.slack_error)
        except BackchannelError as exc:
            await connection.close(TRY_AGAIN, f"try again: {exc.slack_error}")
        except ConnectionClosed:
            pass
        finally:
            if room.remove(session):
                self._delivered.inc(room.announce_presence(session.user_id))
            if room.empty and self.rooms.get(room.workspace_id) is room:
                del self.rooms[room.workspace_id]
            log.info("socket closed", extra={**who, "code": connection.close_code})

    async def _serve_link(self, connection: ServerConnection, app: App, caller: TokenInfo) -> None:
        """An app's Socket Mode connection: the workspace's cache is filled first, so that
        its log is followed and each conversation's type is known."""
        try:
            await self.cache.get(app.workspace_id)
        except BackchannelError as exc:
            await connection.close(TRY_AGAIN, f"try again: {exc.slack_error}")
            return
        channel_type = self._channel_types(app.workspace_id)
        await self.apps.serve(connection, app, caller.token_hash, channel_type)

    async def _start_session(
        self, room: Room, session: Session, identity: Identity, came_online: bool
    ) -> None:
        """hello, what the client missed, then live: snapshot plus replay, with the events
        that arrive meanwhile held in the session's backlog."""
        await self._follow(identity.since.stream)
        user = await get_user(self.ctx, session.workspace_id, session.user_id)
        if user.deleted:
            raise AuthError("the account is deactivated", slack_error="account_inactive")
        if user.presence == "away":
            room.manual_away.add(user.id)
        else:
            room.manual_away.discard(user.id)
        caught = await event_service.catch_up(
            self.ctx, session.workspace_id, session.user_id, identity.since
        )
        session.channels = set(caught.channels)
        session.seq = caught.since.seq
        hello: dict[str, object] = {"type": "hello", "resume": resume_token(caught.since)}
        if caught.limited:
            hello["limited"] = True  # some events are gone: refetch history
        session.write(json_frame(hello))
        async for page in event_service.missed_events(
            self.ctx, caught, session.workspace_id, session.user_id
        ):
            sent = 0
            for event in page:
                if session.accept(event):
                    session.write(event_frame(event))
                    sent += 1
            self._delivered.inc(sent)
            await session.connection.drain()  # at the client's pace, not into our memory
        self._delivered.inc(room.go_live(session))
        if came_online:
            self._delivered.inc(room.announce_presence(session.user_id))

    async def _read_frames(self, room: Room, session: Session) -> None:
        connection = session.connection
        async for raw in connection:
            if not session.take_allowance():
                if session.over_limit > FLOOD_CLOSE:
                    # The client's half of the closing handshake queues behind the frames it
                    # flooded us with: close_timeout bounds the wait.
                    await connection.close(POLICY, "flood: too many frames")
                    return
                session.write(rate_limited(raw))
                self.metrics.socket_frame(UNREAD, "ratelimited")
                continue
            started = time.perf_counter()
            kind, outcome = await handle_frame(Peer(self.ctx, self.cache, room, session), raw)
            self.metrics.socket_frame(kind, outcome, time.perf_counter() - started)


def _bid(session: Session, farewell: Farewell) -> None:
    session.write(farewell.frame)
    session.start_closing(farewell.code, farewell.reason)


def _assignment(shard_map: ShardMap, workspace_id: str) -> WorkspaceAssignment | None:
    return shard_map.by_keyspace.get(keyspace_of(workspace_id))


def _moved(old: ShardMap, new: ShardMap, workspace_id: str) -> bool:
    before = _assignment(old, workspace_id)
    return _left(_assignment(new, workspace_id), before.db_shard if before else None)


def _left(now: WorkspaceAssignment | None, shard: str | None) -> bool:
    """Is the workspace leaving `shard` (whose log its sockets follow; None: not known):
    frozen for the last step of a move, or on another DB shard now?"""
    if now is None:
        return False
    return now.state == FROZEN or (shard is not None and shard != now.db_shard)
