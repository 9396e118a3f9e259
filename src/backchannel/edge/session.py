"""One client's socket: who it is, which channels it is in, how far it has got in its log."""

from __future__ import annotations

import time
from asyncio import Transport
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection
from websockets.protocol import Protocol, State

from backchannel.models import Event
from backchannel.models.events import REVOCATION
from backchannel.services.realtime.viewer import concerns

# A socket that lets this much pile up unread is too slow to keep up: it is closed, and the
# client resumes from its last token, losing nothing.
MAX_BUFFERED = 4 * 1024 * 1024

OPEN = State.OPEN
POLICY_VIOLATION = 1008

# What a client may send: 10 frames a second on average, bursts of 50 (Slack's RTM allowed
# about one message a second; typing and pings come more often).
FRAMES_PER_SECOND = 10.0
FRAME_BURST = 50.0

# Index callbacks: the room keeps channel -> sessions in step with each session's channels.
IndexHook = Callable[["Session", str, bool], None]


@dataclass(eq=False, slots=True)  # slots: thousands of these per edge
class Session:
    connection: ServerConnection
    workspace_id: str
    user_id: str
    kind: str  # "user" or "bot"
    token_hash: str | None = None  # the token it was opened with: its revocation closes it
    seq: int = 0  # the last position of the workspace's log this socket has been through
    channels: set[str] = field(default_factory=set)
    backlog: list[Event] | None = field(default_factory=list)  # events while catching up
    presence_subs: frozenset[str] = frozenset()
    # A lean socket's (docs/edge-cache.md): the users, bots and channels it has been sent.
    # None until the client asks for client.boot: it has them all (rtm.start) or wants none.
    sent: set[str] | None = None
    on_index: IndexHook | None = None
    allowance: float = FRAME_BURST
    checked: float = field(default_factory=time.monotonic)
    over_limit: int = 0
    transport: Transport = field(init=False)
    protocol: Protocol = field(init=False)

    def __post_init__(self) -> None:
        # Kept at hand for the fanout loop; a connection's transport never changes.
        self.transport = self.connection.transport
        self.protocol = self.connection.protocol

    def accept(self, event: Event) -> bool:
        """Take an event in order: track its membership change, say whether to send it (never
        one whose payload could not be read from the log: storage/json_values.py)."""
        position = event.position
        if position is not None:
            if position.seq <= self.seq:
                return False  # already had it (catch-up and live overlap)
            self.seq = position.seq
        if event.type == REVOCATION:
            self.close_if_revoked(event)
            return False  # the edges' own event
        mine = event.user_id == self.user_id
        if mine and event.membership == "join" and event.channel_id:
            self._member(event.channel_id, True)
        wanted = concerns(event, self.user_id, self.channels)
        if mine and event.membership == "leave" and event.channel_id:
            self._member(event.channel_id, False)
        return wanted and bool(event.payload)

    def _member(self, channel_id: str, joined: bool) -> None:
        if joined:
            self.channels.add(channel_id)
        else:
            self.channels.discard(channel_id)
        if self.on_index is not None:
            self.on_index(self, channel_id, joined)

    def sent_ids(self) -> set[str]:
        """What the socket has been sent, to add to (a throwaway set unless it is lean)."""
        return self.sent if self.sent is not None else set()

    def write(self, frame: bytes) -> None:
        """Queue a pre-built frame; never waits. A socket that cannot keep up is closed."""
        transport = self.transport
        if self.protocol.state is not OPEN or transport.is_closing():
            return
        transport.write(frame)
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            transport.abort()  # the client reconnects and resumes from its last token

    def start_closing(self, code: int, reason: str) -> None:
        """Begin the closing handshake now, from code that cannot wait (the fanout)."""
        if self.protocol.state is OPEN:
            self.protocol.send_close(code, reason)
            self.connection.send_data()

    def close_if_revoked(self, event: Event) -> None:
        """A revocation of the token this socket was opened with closes it (1008, Slack's
        error string for a revoked token as the reason)."""
        if self.token_hash is not None and self.token_hash in event.payload.get("tokens", ()):
            self.start_closing(POLICY_VIOLATION, "token_revoked")

    def take_allowance(self) -> bool:
        """A token bucket over the frames this client sends: False when it floods."""
        now = time.monotonic()
        self.allowance = min(FRAME_BURST, self.allowance + (now - self.checked) * FRAMES_PER_SECOND)
        self.checked = now
        if self.allowance < 1:
            self.over_limit += 1
            return False
        self.allowance -= 1
        return True


@dataclass(slots=True)
class Burst:
    """The frames of consecutive events for the same sockets, to write to each in one go.
    Their positions (seqs) increase along it, or none of them has one."""

    frames: list[bytes] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)

    def takes(self, seq: int | None) -> bool:
        """May an event at `seq` (None: without a position) follow the frames so far?"""
        if not self.seqs:
            return seq is None
        return seq is not None and seq > self.seqs[-1]

    def add(self, frame: bytes, seq: int | None) -> None:
        self.frames.append(frame)
        if seq is not None:
            self.seqs.append(seq)


def write_to_all(sessions: list[Session], burst: Burst) -> int:
    """The fanout's hot loop, for events that change no membership and skip nobody: each
    session only checks that it has not had them yet (catch-up and live overlap), then gets
    the burst's frames in one write. Session.write, inlined: this runs once per recipient
    of every burst. Returns how many frames it wrote (counted down on the rare skips, to
    keep the loop tight)."""
    frames, seqs = burst.frames, burst.seqs
    data = frames[0] if len(frames) == 1 else b"".join(frames)
    count = len(frames)
    first = seqs[0] if seqs else None
    last = seqs[-1] if seqs else 0
    sent = len(sessions) * count
    for session in sessions:
        if first is not None:
            if session.seq >= first:
                sent -= count - _write_unseen(session, burst)
                continue
            session.seq = last
        transport = session.transport
        if session.protocol.state is not OPEN or transport.is_closing():
            sent -= count
            continue
        transport.write(data)
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            transport.abort()
    return sent


def _write_unseen(session: Session, burst: Burst) -> int:
    """The frames of a burst that a session has not had yet, one by one; how many."""
    written = 0
    for frame, seq in zip(burst.frames, burst.seqs, strict=True):
        if seq > session.seq:
            session.seq = seq
            session.write(frame)
            written += 1
    return written
