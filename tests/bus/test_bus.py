"""The bus contract (docs/bus.md), checked on the in-process bus and on a real NATS server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from backchannel.bus import Bus, MemoryBus, events_subject, live_subject
from backchannel.bus.bus_nats import connect_nats
from backchannel.bus.codec import decode_event, encode_event
from backchannel.errors import ConfigError
from backchannel.models import Event
from backchannel.models.events import Position, to_channel, to_user, to_workspace
from tests.support.nats import NatsServer, free_port

TIMEOUT = 10.0


@dataclass
class Buses:
    """Where the tests publish and where they subscribe: two connections on NATS."""

    publisher: Bus
    subscriber: Bus


@dataclass
class Inbox:
    """A handler that records what it gets and says when it has `expected` messages."""

    expected: int = 1
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    full: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, subject: str, data: bytes) -> None:
        self.messages.append((subject, data))
        if len(self.messages) >= self.expected:
            self.full.set()

    async def wait(self, expected: int | None = None) -> list[tuple[str, bytes]]:
        if expected is not None:
            self.expected = expected
            if len(self.messages) < expected:
                self.full.clear()
        await asyncio.wait_for(self.full.wait(), TIMEOUT)
        return self.messages

    @property
    def data(self) -> list[bytes]:
        return [data for _, data in self.messages]


@pytest.fixture(params=["memory", "nats"])
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[Buses]:
    if request.param == "memory":
        bus = MemoryBus()
        yield Buses(bus, bus)
        await bus.close()
        return
    url = request.getfixturevalue("nats_url")
    publisher = await connect_nats(url, name="test-publisher")
    subscriber = await connect_nats(url, name="test-subscriber")
    try:
        yield Buses(publisher, subscriber)
    finally:
        await publisher.close()
        await subscriber.close()


async def until(done: Callable[[], bool]) -> None:
    """Wait until a connection's counters show what it went through: nats-py's callbacks
    count it on the loop, after the fact."""
    async with asyncio.timeout(TIMEOUT):
        while not done():  # noqa: ASYNC110  (counters, not an event to wait on)
            await asyncio.sleep(0.01)


# The contract, on both buses.


@pytest.mark.parametrize(
    ("pattern", "matching", "other"),
    [
        ("bc.events.ms-1", ["bc.events.ms-1"], ["bc.events.ms-2", "bc.events.ms-1.x"]),
        ("bc.events.*", ["bc.events.ms-1", "bc.events.ms-2"], ["bc.events.a.b", "bc.live.T1"]),
        ("bc.*.T1", ["bc.live.T1", "bc.events.T1"], ["bc.live.T2", "bc.live.T1.x"]),
        ("bc.>", ["bc.live.T1", "bc.events.ms-1", "bc.a.b.c"], ["bc", "other.live.T1"]),
    ],
)
async def test_a_subscriber_gets_matching_subjects_only(
    buses: Buses, pattern: str, matching: list[str], other: list[str]
) -> None:
    inbox = Inbox(expected=len(matching))
    await buses.subscriber.subscribe(pattern, inbox)
    # Others first: once the last matching message is in, the others would have been too.
    for subject in other:
        await buses.publisher.publish(subject, b"no")
    for subject in matching:
        await buses.publisher.publish(subject, subject.encode())

    messages = await inbox.wait()

    assert messages == [(subject, subject.encode()) for subject in matching]


async def test_ten_thousand_messages_arrive_in_publish_order(buses: Buses) -> None:
    count = 10_000
    inbox = Inbox(expected=count)
    await buses.subscriber.subscribe("bc.events.*", inbox)

    for seq in range(count):
        await buses.publisher.publish(events_subject("ms-1"), str(seq).encode())

    await inbox.wait()
    assert inbox.data == [str(seq).encode() for seq in range(count)]


async def test_two_subscribers_each_get_every_message(buses: Buses) -> None:
    first, second = Inbox(expected=100), Inbox(expected=100)
    await buses.subscriber.subscribe(live_subject("T1"), first)
    await buses.subscriber.subscribe("bc.live.*", second)

    for seq in range(100):
        await buses.publisher.publish(live_subject("T1"), str(seq).encode())

    expected = [str(seq).encode() for seq in range(100)]
    await first.wait()
    await second.wait()
    assert first.data == expected
    assert second.data == expected


async def test_unsubscribe_stops_delivery(buses: Buses) -> None:
    leaving, staying = Inbox(), Inbox()
    subscription = await buses.subscriber.subscribe("bc.live.T1", leaving)
    await buses.subscriber.subscribe("bc.live.T1", staying)
    await buses.publisher.publish("bc.live.T1", b"1")
    await leaving.wait()
    await staying.wait()

    await subscription.unsubscribe()
    await subscription.unsubscribe()  # twice is harmless
    await buses.publisher.publish("bc.live.T1", b"2")

    assert (await staying.wait(2))[-1] == ("bc.live.T1", b"2")
    assert leaving.data == [b"1"]


async def test_a_failing_handler_does_not_stop_deliveries(
    buses: Buses, caplog: pytest.LogCaptureFixture
) -> None:
    calls = Inbox(expected=3)

    def broken(subject: str, data: bytes) -> None:
        calls(subject, data)
        raise RuntimeError("handler bug")

    healthy = Inbox(expected=3)
    await buses.subscriber.subscribe("bc.events.ms-1", broken)
    await buses.subscriber.subscribe("bc.events.ms-1", healthy)

    with caplog.at_level(logging.ERROR, logger="backchannel.bus"):
        for seq in range(3):
            await buses.publisher.publish("bc.events.ms-1", str(seq).encode())
        await healthy.wait()
        await calls.wait()

    assert healthy.data == calls.data == [b"0", b"1", b"2"]
    failures = [r for r in caplog.records if "subscriber to bc.events.ms-1 failed" in r.message]
    assert len(failures) == 3
    assert all(r.exc_info and "handler bug" in str(r.exc_info[1]) for r in failures)


async def test_events_round_trip_through_the_bus(buses: Buses) -> None:
    sent = [
        to_channel("T1", "C1", {"type": "message", "text": "héllo 🎉", "ts": "1.000100"}).at(
            Position("ms-1", "e1", 7)
        ),
        to_channel("T1", "C1", {"type": "member_joined_channel"}, user_id="U2", membership="join"),
        to_workspace("T1", {"type": "presence_change", "user": "U1"}, skip_user="U1"),
        to_user("T1", "U2", {"type": "im_created", "channel": {"id": "D1", "is_im": True}}),
    ]
    inbox = Inbox(expected=len(sent))
    await buses.subscriber.subscribe("bc.>", inbox)

    for event in sent:
        await buses.publisher.publish(events_subject("ms-1"), encode_event(event))

    received: list[Event] = [decode_event(data) for _, data in await inbox.wait()]
    assert received == sent
    assert [event.position for event in received] == [event.position for event in sent]


# NATS only: connection life cycle, slow consumers.


async def test_nats_reconnects_after_a_server_restart(nats_server: NatsServer) -> None:
    subscriber = await connect_nats(nats_server.url, name="test-subscriber")
    publisher = await connect_nats(nats_server.url, name="test-publisher")
    inbox = Inbox()
    await subscriber.subscribe("bc.events.*", inbox)
    await publisher.publish("bc.events.ms-1", b"before")
    await inbox.wait()

    await asyncio.to_thread(nats_server.restart)
    # Counted once the connection is back and its subscriptions are replayed.
    await until(lambda: subscriber.reconnects == publisher.reconnects == 1)
    await publisher.publish("bc.events.ms-1", b"after")

    assert (await inbox.wait(2))[-1] == ("bc.events.ms-1", b"after")
    await publisher.close()
    await subscriber.close()


async def test_nats_unreachable_at_start_is_a_config_error() -> None:
    url = f"nats://bc:s3cret@127.0.0.1:{free_port()}"

    with pytest.raises(ConfigError) as raised:
        await connect_nats(url, name="test")

    message = raised.value.message
    assert message.startswith(f"cannot connect to NATS at nats://127.0.0.1:{url.rsplit(':')[-1]}")
    assert "\n" not in message
    assert "s3cret" not in message
    assert "bc:" not in message


async def test_nats_empty_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no NATS server URL"):
        await connect_nats(" , ", name="test")


async def test_close_sends_what_was_published_before_it(buses: Buses) -> None:
    inbox = Inbox(expected=1_000)
    await buses.subscriber.subscribe("bc.live.*", inbox)

    for seq in range(1_000):
        await buses.publisher.publish("bc.live.T1", str(seq).encode())
    await buses.publisher.close()

    await inbox.wait()
    assert inbox.data == [str(seq).encode() for seq in range(1_000)]


async def test_nats_slow_consumer_drops_are_counted_and_reported(
    nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    count = 10_000
    inbox = Inbox(expected=count)
    subscriber = await connect_nats(nats_url, name="test-slow")
    # A queue of 10: the reader parses a whole socket read before the handler runs.
    subscriber.pending_msgs_limit = 10
    publisher = await connect_nats(nats_url, name="test-publisher")
    await subscriber.subscribe("bc.events.ms-1", inbox)

    with caplog.at_level(logging.WARNING, logger="backchannel.bus"):
        for seq in range(count):
            await publisher.publish("bc.events.ms-1", str(seq).encode())
        # Every message delivered or counted as dropped.
        await until(lambda: len(inbox.messages) + subscriber.slow_consumer_drops == count)

    assert subscriber.slow_consumer_drops > 0
    received = [int(data) for data in inbox.data]
    assert received == sorted(received)  # what is left is still in order
    assert any("too slow" in r.message for r in caplog.records)
    await publisher.close()
    await subscriber.close()


async def test_nats_oversized_message_is_dropped_not_raised(nats_url: str) -> None:
    bus = await connect_nats(nats_url, name="test")
    inbox = Inbox()
    await bus.subscribe("bc.events.ms-1", inbox)

    await bus.publish("bc.events.ms-1", b"x" * (2 * 1024 * 1024))
    await bus.publish("bc.events.ms-1", b"small")

    assert await inbox.wait() == [("bc.events.ms-1", b"small")]
    assert bus.publish_drops == 1
    await bus.close()
