"""The bus between writers (services) and deliverers (edges); see docs/realtime.md."""

from backchannel.bus.bus import Bus, Handler, Subscription, events_subject, live_subject
from backchannel.bus.bus_memory import MemoryBus
from backchannel.bus.bus_nats import NatsBus, connect_nats

__all__ = [
    "Bus",
    "Handler",
    "MemoryBus",
    "NatsBus",
    "Subscription",
    "connect_nats",
    "events_subject",
    "live_subject",
]
