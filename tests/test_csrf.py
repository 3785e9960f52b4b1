"""The one CSRF mechanism of the HTML forms: tokens bound to whom the page was shown, per kind of form, at most
a day old, surviving a secret rotation; and forms the browser says another site sent are refused."""
from __future__ import annotations

import pytest

from consent_service import csrf
from consent_service.config import Settings
from consent_service.errors import Forbidden
from tests.conftest import FrozenClock


class Refused(Forbidden):
    code = "refused"


def tokens(clock: FrozenClock, *, salt: str = "test.form", secret: str = "s" * 32, fallbacks: tuple[str, ...] = ()):
    return csrf.FormTokens(settings=Settings(secret_key=secret, secret_key_fallbacks=fallbacks), salt=salt,
                           clock=clock, rejected=Refused)


def test_a_token_verifies_for_whom_it_was_issued_only():
    clock = FrozenClock()
    token = tokens(clock).issue({"c": "alice", "r": 4})
    assert tokens(clock).verify(token, bound={"c": "alice"}) == {"c": "alice", "r": 4}
    for forged in (None, "", token[:-2], token + "x"):
        with pytest.raises(Refused):
            tokens(clock).verify(forged, bound={"c": "alice"})
    with pytest.raises(Refused):
        tokens(clock).verify(token, bound={"c": "bob"})
    with pytest.raises(Refused):
        tokens(clock, salt="other.form").verify(token, bound={"c": "alice"})
    with pytest.raises(Refused):
        tokens(clock).verify(tokens(clock).issue({"c": 1}), bound={"c": "1"})


def test_a_token_lasts_a_day_and_outlives_a_secret_rotation():
    clock = FrozenClock()
    token = tokens(clock, secret="old" * 11).issue({"s": "sid"})
    rotated = tokens(clock, secret="new" * 11, fallbacks=("old" * 11,))
    assert rotated.verify(token, bound={"s": "sid"}) == {"s": "sid"}
    clock.advance(seconds=csrf.FORM_MAX_AGE_SECONDS + 1)
    with pytest.raises(Refused):
        rotated.verify(token, bound={"s": "sid"})


@pytest.mark.parametrize(("fetch_site", "origin", "own_origin", "refused"), [
    (None, None, "https://consent.example", False),  # an older browser says nothing
    ("same-origin", "https://consent.example", "https://consent.example", False),
    ("none", None, None, False),  # typed or bookmarked
    ("cross-site", None, None, True),
    ("same-site", None, None, True),
    ("same-origin", "https://evil.example", "https://consent.example", True),
    ("same-origin", "https://evil.example", None, False),  # the preference pages do not compare Origin
])
def test_a_form_another_site_sent_is_refused(fetch_site, origin, own_origin, refused):
    def check():
        csrf.require_same_site(fetch_site=fetch_site, origin=origin, own_origin=own_origin, rejected=Refused)
    if refused:
        with pytest.raises(Refused):
            check()
    else:
        check()
