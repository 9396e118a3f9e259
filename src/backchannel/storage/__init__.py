"""Storage: one database at a time. The router decides which one; see docs/storage.md."""
