"""Tokens and passwords: what is given out, and the hash of it that is stored."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

TOKEN_PREFIXES = {"user": "xoxp", "bot": "xoxb"}
MIN_PASSWORD_LENGTH = 8


def new_token(kind: str) -> str:
    """A Slack-shaped token: xoxp-... for users, xoxb-... for bots."""
    return f"{TOKEN_PREFIXES[kind]}-{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
