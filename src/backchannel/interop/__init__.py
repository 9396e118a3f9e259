"""Formats of other systems, read and written."""
