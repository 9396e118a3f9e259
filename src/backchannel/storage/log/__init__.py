"""A shard's durable event log (docs/realtime.md)."""
