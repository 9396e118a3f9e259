"""Backchannel: a self-hosted team messaging platform that speaks Slack's wire protocol."""

__version__ = "0.1.0"
