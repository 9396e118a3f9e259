"""The bus between writers (services) and deliverers (edges); see docs/realtime.md.

NATS (bus_nats.py) is imported from its module by the processes that use it: nats-py (and
aiohttp, which it imports when installed) is a good part of a one-process start-up that never
needs them.
"""

from backchannel.bus.bus import Bus, Handler, Subscription, events_subject, live_subject
from backchannel.bus.bus_memory import MemoryBus

__all__ = [
    "Bus",
    "Handler",
    "MemoryBus",
    "Subscription",
    "events_subject",
    "live_subject",
]
