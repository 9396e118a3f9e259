"""The bus between processes: NATS core (nats-py); see docs/bus.md and docs/realtime.md.

At most once, like the contract: a message published while the connection is down beyond
nats-py's reconnect buffer, or dropped because a subscriber fell too far behind, is gone,
and the edge reads it from the shard's durable log: when the stream's next event shows the
gap, or after a quiet second, when it looks at the log's head (edge/streams.py). The
counters say how much was lost and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from nats import errors as nats_errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscriptionHandle

from backchannel.bus.bus import Handler
from backchannel.errors import ConfigError

log = logging.getLogger(__name__)

# An edge may receive 100k messages/s; a pause of a few seconds (a GC, a burst of sockets
# to write) must not turn into drops. nats-py's defaults are 512k messages / 128 MiB.
PENDING_MSGS_LIMIT = 2_000_000
PENDING_BYTES_LIMIT = 1024 * 1024 * 1024
# Ping often enough that a silently dead server (no RST) is noticed in ~30 s, not 4 min.
PING_INTERVAL = 10
MAX_OUTSTANDING_PINGS = 3
RECONNECT_WAIT = 1
START_TIMEOUT = 10.0
DRAIN_TIMEOUT = 10
CONFIRM_TIMEOUT = 10
# Drops are counted all the time but logged only now and then: they come in floods.
LOG_EVERY_DROPS = 10_000


def public_url(url: str) -> str:
    """The server list without user, password or token, fit for logs and error messages."""
    return ",".join(_without_credentials(part.strip()) for part in url.split(","))


def _without_credentials(url: str) -> str:
    try:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable NATS URL>"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


@dataclass(eq=False)
class NatsSubscription:
    handle: NatsSubscriptionHandle
    active: bool = True

    async def unsubscribe(self) -> None:
        if not self.active:
            return
        self.active = False
        # A connection going away delivers nothing more anyway.
        with contextlib.suppress(
            nats_errors.ConnectionClosedError, nats_errors.ConnectionDrainingError
        ):
            await self.handle.unsubscribe()


@dataclass(eq=False)
class NatsBus:
    """One nats-py connection. Build it with `connect_nats`."""

    client: Client
    url: str
    slow_consumer_drops: int = 0
    publish_drops: int = 0
    reconnects: int = 0
    pending_msgs_limit: int = PENDING_MSGS_LIMIT
    pending_bytes_limit: int = PENDING_BYTES_LIMIT
    subscriptions: list[NatsSubscription] = field(default_factory=list)
    # While connecting at start: set to the first failure, which is then fatal.
    starting: asyncio.Future[Exception] | None = None

    async def publish(self, subject: str, data: bytes) -> None:
        # No flush here: nats-py queues the bytes and kicks its flusher task, which writes
        # everything pending at once on the next turn of the loop, so a burst goes out in
        # few writes and a lone message goes out at once.
        try:
            await self.client.publish(subject, data)
        except nats_errors.OutboundBufferLimitError:
            # Disconnected and nats-py's reconnect buffer is full: at most once.
            self.publish_drops += 1
            if self.publish_drops % LOG_EVERY_DROPS == 1:
                log.warning(
                    "NATS is unreachable: %d published messages dropped so far",
                    self.publish_drops,
                )
        except nats_errors.MaxPayloadError:
            # Over the server's max_payload (1 MiB by default): the edge finds the gap and
            # reads the event from the log, so the writer need not fail after its commit.
            self.publish_drops += 1
            log.error("NATS refused a %d-byte message on %s: too large", len(data), subject)

    async def subscribe(self, subject: str, handler: Handler) -> NatsSubscription:
        async def deliver(msg: Msg) -> None:
            try:
                handler(msg.subject, msg.data)
            except Exception:  # one broken subscriber must not stop its deliveries
                log.exception("subscriber to %s failed", subject)

        handle = await self.client.subscribe(
            subject,
            cb=deliver,
            pending_msgs_limit=self.pending_msgs_limit,
            pending_bytes_limit=self.pending_bytes_limit,
        )
        await self._confirm(subject)
        subscription = NatsSubscription(handle)
        self.subscriptions.append(subscription)
        return subscription

    async def _confirm(self, subject: str) -> None:
        """Return once the server has the subscription, whoever publishes next.

        An edge subscribes and then reads the log; a subscription still in flight would
        let an event committed in between slip past both. nats-py writes its PING ahead
        of the commands still in its pending buffer (the SUB among them), so the first
        round trip only proves the SUB went out; the second proves the server has it.
        While disconnected `flush` returns at once: the reconnect replays every SUB
        (before `reconnects` is counted).
        """
        try:
            for _ in range(2):
                await self.client.flush(timeout=CONFIRM_TIMEOUT)
        except nats_errors.FlushTimeoutError:
            log.warning("NATS did not confirm the subscription to %s in time", subject)

    async def close(self) -> None:
        """Deliver what has arrived, send what is pending, then close."""
        if self.client.is_closed:
            return
        for subscription in self.subscriptions:
            subscription.active = False
        try:
            await self.client.drain()
        except (nats_errors.ConnectionReconnectingError, nats_errors.ConnectionClosedError):
            await self.client.close()  # nothing to drain to while the server is away

    # nats-py's callbacks (coroutines, run on the loop).

    async def _on_error(self, error: Exception) -> None:
        if self.starting is not None:
            if not self.starting.done():
                self.starting.set_result(error)
        elif isinstance(error, nats_errors.SlowConsumerError):
            self._on_slow_consumer(error)
        elif self.client.is_connected:
            log.warning("NATS error on %s: %s", public_url(self.url), error)
        else:  # a failed reconnect attempt, every RECONNECT_WAIT seconds
            log.debug("NATS reconnect to %s failed: %s", public_url(self.url), error)

    def _on_slow_consumer(self, error: nats_errors.SlowConsumerError) -> None:
        self.slow_consumer_drops += 1
        if self.slow_consumer_drops % LOG_EVERY_DROPS == 1:
            log.warning(
                "NATS subscriber to %s is too slow: %d messages dropped so far",
                error.sub.subject if error.sub else error.subject,
                self.slow_consumer_drops,
            )

    async def _on_disconnected(self) -> None:
        if not self.client.is_closed:
            log.warning("NATS connection to %s lost; reconnecting", public_url(self.url))

    async def _on_reconnected(self) -> None:
        self.reconnects += 1
        log.warning("NATS reconnected to %s", self._server())

    def _server(self) -> str:
        current = self.client.connected_url
        return f"{current.hostname}:{current.port}" if current else public_url(self.url)


async def connect_nats(url: str, *, name: str) -> NatsBus:
    """A bus on the NATS server(s) at `url` (comma-separated for a cluster).

    ConfigError if no server can be reached now: a wrong --nats flag should stop the
    process with one clear line, not retry forever. Once connected, it reconnects forever.
    """
    bus = NatsBus(Client(), url)
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise ConfigError("--nats: no NATS server URL given")
    # nats-py retries the first connection forever too (max_reconnect_attempts=-1);
    # while starting, the first failure is the answer.
    first_failure = bus.starting = asyncio.get_running_loop().create_future()
    connecting = asyncio.ensure_future(
        bus.client.connect(
            servers,
            name=name,
            error_cb=bus._on_error,
            disconnected_cb=bus._on_disconnected,
            reconnected_cb=bus._on_reconnected,
            max_reconnect_attempts=-1,
            reconnect_time_wait=RECONNECT_WAIT,
            ping_interval=PING_INTERVAL,
            max_outstanding_pings=MAX_OUTSTANDING_PINGS,
            drain_timeout=DRAIN_TIMEOUT,
        )
    )
    await asyncio.wait(
        {connecting, first_failure}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if not connecting.done() or connecting.exception() is not None:
        await _abandon(bus.client, connecting)
        reason = _start_failure(connecting, first_failure)
        raise ConfigError(f"cannot connect to NATS at {public_url(url)}: {_one_line(reason)}")
    bus.starting = None  # from now on errors are logged, not fatal
    log.info("NATS connected to %s as %s", bus._server(), name)
    return bus


async def _abandon(client: Client, connecting: asyncio.Future[None]) -> None:
    connecting.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await connecting
    await client.close()


def _start_failure(connecting: asyncio.Future[None], first: asyncio.Future[Exception]) -> object:
    if first.done():
        return first.result()
    if connecting.done() and not connecting.cancelled() and connecting.exception():
        return connecting.exception()
    return f"no answer in {START_TIMEOUT:g} s"


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split())
    return text or type(reason).__name__
