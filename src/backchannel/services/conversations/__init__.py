"""Channels, DMs and group DMs: creating, joining, settings, names, and who may see and do what
in them.
"""
