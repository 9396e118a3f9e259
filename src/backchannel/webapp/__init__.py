"""The Web API over HTTP: /api/<method>, Slack's request and response conventions.

See docs/architecture.md.
"""
