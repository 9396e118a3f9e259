"""Organisations, workspaces, and channels shared between them (docs/organisations.md)."""
