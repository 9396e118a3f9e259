"""Token lookups are cached per process; revocations elsewhere land within the TTL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backchannel.errors import AuthError
from backchannel.services import ServiceContext
from backchannel.services.identity import auth
from backchannel.services.identity.token_cache import TOKEN_TTL, TokenCache
from tests.conftest import Acme
from tests.support.clock import FakeClock


async def test_a_token_is_looked_up_once_per_ttl(ctx: ServiceContext, acme: Acme) -> None:
    clock = FakeClock()
    here = replace(ctx, clock=clock, tokens=TokenCache())
    for _ in range(3):
        assert (await auth.authenticate(here, acme.alice.token)).user_id == acme.alice.user.id
    assert (here.tokens.misses, here.tokens.hits) == (1, 2)
    clock.now += TOKEN_TTL + 1
    await auth.authenticate(here, acme.alice.token)
    assert here.tokens.misses == 2


async def test_a_revocation_elsewhere_lands_within_the_ttl(ctx: ServiceContext, acme: Acme) -> None:
    clock = FakeClock()
    here = replace(ctx, clock=clock, tokens=TokenCache())
    elsewhere = replace(ctx, clock=clock, tokens=TokenCache())  # another process's cache
    await auth.authenticate(here, acme.bob.token)
    assert await auth.revoke(elsewhere, acme.bob.token)
    with pytest.raises(AuthError) as at_once:
        await auth.authenticate(elsewhere, acme.bob.token)
    assert at_once.value.slack_error == "token_revoked"
    await auth.authenticate(here, acme.bob.token)  # still cached here
    clock.now += TOKEN_TTL + 1
    with pytest.raises(AuthError) as later:
        await auth.authenticate(here, acme.bob.token)
    assert later.value.slack_error == "token_revoked"
