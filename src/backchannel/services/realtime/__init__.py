"""The real-time path's services: the event outbox, the boot payload, edges and websocket
tickets (docs/realtime.md).
"""
