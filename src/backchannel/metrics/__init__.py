"""Prometheus metrics: what a process counts and serves at /metrics (docs/metrics.md)."""

from backchannel.metrics.registry import CONTENT_TYPE, UNKNOWN_METHOD, Metrics, Series

__all__ = ["CONTENT_TYPE", "UNKNOWN_METHOD", "Metrics", "Series"]
