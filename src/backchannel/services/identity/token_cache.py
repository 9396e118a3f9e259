"""An in-process cache of token lookups: every API call authenticates, most with a token
seen a moment ago, so the main DB is asked at most once per TOKEN_TTL per token.

A revocation through this process takes effect at once (services/identity/revocation.py forgets it);
one made by another process (another webapp) takes effect within TOKEN_TTL seconds.
"""

from __future__ import annotations

from collections import OrderedDict

from backchannel.storage.main.credentials import StoredToken

TOKEN_TTL = 10.0
MAX_TOKENS = 100_000


class TokenCache:
    def __init__(self, *, ttl: float = TOKEN_TTL, size: int = MAX_TOKENS) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[StoredToken, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, token_hash: str, now: float) -> StoredToken | None:
        """The token as stored, if known and fresh."""
        entry = self._entries.get(token_hash)
        if entry is None or now - entry[1] > self._ttl:
            self.misses += 1
            return None
        self._entries.move_to_end(token_hash)
        self.hits += 1
        return entry[0]

    def put(self, token_hash: str, stored: StoredToken, now: float) -> None:
        self._entries[token_hash] = (stored, now)
        self._entries.move_to_end(token_hash)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)
