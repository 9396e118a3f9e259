"""The edge: the message server that holds each client's websocket and pushes events to it.

See docs/realtime.md. The delivery path does no database work: recipients follow from what
each event says and from the memberships a socket was given when it connected.
"""

from backchannel.edge.server import Edge

__all__ = ["Edge"]
