"""Signed links: salts per kind, expiry on the injected clock, rotation with fallback secrets, tampering."""
from __future__ import annotations

import string
from datetime import timedelta

import pytest

from consent_service.config import Settings
from consent_service.preferences.links import LinkExpired, LinkInvalid, LinkKind, LinkSigner
from tests.conftest import FIXED_START, FrozenClock

DAY = 86400
MAX_AGES = {
    LinkKind.PREFERENCES: 30 * DAY,
    LinkKind.ONE_CLICK: 400 * DAY,
    LinkKind.DOUBLE_OPT_IN: 7 * DAY,
    LinkKind.PRIVACY_REQUEST_VERIFY: DAY,
    LinkKind.PRIVACY_REQUEST_STATUS: 60 * DAY,
}
CLAIMS = {"c": "c-1", "l": "de", "n": "2026-01-01"}


def signer(clock, secret="current-secret", fallbacks=()) -> LinkSigner:
    return LinkSigner(secret_key=secret, fallbacks=tuple(fallbacks), max_ages=MAX_AGES, clock=clock)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def test_a_signed_link_gives_back_its_claims_and_says_when_it_expires(clock):
    signed = signer(clock).sign(LinkKind.PREFERENCES, CLAIMS)
    assert signed.expires_at == FIXED_START + timedelta(days=30)
    assert signer(clock).verify(LinkKind.PREFERENCES, signed.token) == CLAIMS
    assert set(signed.token) <= set(string.ascii_letters + string.digits + "-_.")  # safe in a URL path


@pytest.mark.parametrize("made_as", list(LinkKind))
def test_a_link_of_one_kind_is_never_accepted_as_another(clock, made_as):
    token = signer(clock).sign(made_as, CLAIMS).token
    for other in LinkKind:
        if other is not made_as:
            with pytest.raises(LinkInvalid):
                signer(clock).verify(other, token)


@pytest.mark.parametrize("kind", list(LinkKind))
def test_each_kind_expires_after_its_own_lifetime(clock, kind):
    token = signer(clock).sign(kind, CLAIMS).token
    clock.advance(seconds=MAX_AGES[kind])
    assert signer(clock).verify(kind, token) == CLAIMS
    clock.advance(seconds=1)
    with pytest.raises(LinkExpired) as expired:
        signer(clock).verify(kind, token)
    # An authentic but expired link still tells which language to answer in.
    assert expired.value.claims == CLAIMS
    assert expired.value.status == 410


def test_one_click_links_outlive_preference_links(clock):
    made = signer(clock)
    page, one_click = made.sign(LinkKind.PREFERENCES, CLAIMS).token, made.sign(LinkKind.ONE_CLICK, CLAIMS).token
    clock.advance(days=31)
    with pytest.raises(LinkExpired):
        signer(clock).verify(LinkKind.PREFERENCES, page)
    assert signer(clock).verify(LinkKind.ONE_CLICK, one_click) == CLAIMS


def test_a_link_from_the_future_is_not_accepted(clock):
    token = signer(clock).sign(LinkKind.PREFERENCES, CLAIMS).token
    clock.advance(seconds=-60)
    with pytest.raises(LinkExpired):
        signer(clock).verify(LinkKind.PREFERENCES, token)


def test_every_single_changed_character_is_refused(clock):
    token = signer(clock).sign(LinkKind.ONE_CLICK, CLAIMS).token
    alphabet = string.ascii_letters + string.digits + "-_"
    for index, char in enumerate(token):
        for replacement in (alphabet[(alphabet.find(char) + 1) % len(alphabet)], alphabet[(alphabet.find(char) + 2) % len(alphabet)]):
            tampered = token[:index] + replacement + token[index + 1:]
            with pytest.raises(LinkInvalid):
                signer(clock).verify(LinkKind.ONE_CLICK, tampered)


@pytest.mark.parametrize("garbage", ["", "x", "not.a.link", "é.é.é", "a" * 300, "..", "eyJjIjoiYy0xIn0"])
def test_garbage_is_invalid(clock, garbage):
    with pytest.raises(LinkInvalid):
        signer(clock).verify(LinkKind.PREFERENCES, garbage)


def test_another_secret_is_refused(clock):
    token = signer(clock, secret="someone-else").sign(LinkKind.PREFERENCES, CLAIMS).token
    with pytest.raises(LinkInvalid):
        signer(clock).verify(LinkKind.PREFERENCES, token)


def test_rotation_keeps_links_signed_with_a_fallback_and_drops_retired_secrets(clock):
    before = signer(clock, secret="old-secret").sign(LinkKind.ONE_CLICK, CLAIMS).token
    rotated = signer(clock, secret="new-secret", fallbacks=["old-secret"])
    assert rotated.verify(LinkKind.ONE_CLICK, before) == CLAIMS
    after = rotated.sign(LinkKind.ONE_CLICK, CLAIMS).token
    # New links are signed with the new secret: they survive the old one's retirement...
    assert signer(clock, secret="new-secret").verify(LinkKind.ONE_CLICK, after) == CLAIMS
    # ...and the old secret cannot verify them.
    with pytest.raises(LinkInvalid):
        signer(clock, secret="old-secret").verify(LinkKind.ONE_CLICK, after)
    retired = signer(clock, secret="newest-secret", fallbacks=["new-secret"])
    with pytest.raises(LinkInvalid):
        retired.verify(LinkKind.ONE_CLICK, before)


def test_the_settings_decide_the_lifetimes(clock):
    settings = Settings(
        secret_key="s" * 32,
        secret_key_fallbacks=("f" * 32,),
        preference_link_max_age_seconds=60,
        one_click_link_max_age_seconds=120,
        double_opt_in_max_age_seconds=30,
        privacy_request_link_max_age_seconds=40,
        privacy_request_status_link_max_age_seconds=50,
    )
    made = LinkSigner.from_settings(settings, clock=clock)
    tokens = {kind: made.sign(kind, CLAIMS) for kind in LinkKind}
    assert {kind: int((signed.expires_at - clock()).total_seconds()) for kind, signed in tokens.items()} == {
        LinkKind.PREFERENCES: 60, LinkKind.ONE_CLICK: 120, LinkKind.DOUBLE_OPT_IN: 30,
        LinkKind.PRIVACY_REQUEST_VERIFY: 40, LinkKind.PRIVACY_REQUEST_STATUS: 50,
    }
    old = LinkSigner.from_settings(Settings(secret_key="f" * 32), clock=clock).sign(LinkKind.PREFERENCES, CLAIMS).token
    assert made.verify(LinkKind.PREFERENCES, old) == CLAIMS
    clock.advance(seconds=61)
    with pytest.raises(LinkExpired):
        made.verify(LinkKind.PREFERENCES, tokens[LinkKind.PREFERENCES].token)


def test_a_secret_is_required(clock):
    with pytest.raises(ValueError):
        LinkSigner(secret_key="", fallbacks=(), max_ages=MAX_AGES, clock=clock)
