"""Tokens and passwords: what is given out, and the hash of it that is stored."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backchannel.errors import InvalidArgument

_hasher = PasswordHasher()

# "client" is a browser session's token (services/identity/auth.py): it acts as its user.
# "app" is an app-level token (docs/apps.md): it only opens Socket Mode connections.
TOKEN_PREFIXES = {"user": "xoxp", "bot": "xoxb", "client": "xoxc", "app": "xapp"}
MIN_PASSWORD_LENGTH = 8


def new_token(kind: str) -> str:
    """A Slack-shaped token: xoxp-... for users, xoxb-... for bots."""
    return f"{TOKEN_PREFIXES[kind]}-{secrets.token_urlsafe(32)}"


def new_session_cookie() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password: str) -> str:
    """A password long enough to be given out; InvalidArgument otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters",
            slack_error="invalid_password",
        )
    return password


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_decoy(password: str) -> None:
    """As long as checking a real password: for sign-ins to no account."""
    verify_password(_decoy_hash(), password)
