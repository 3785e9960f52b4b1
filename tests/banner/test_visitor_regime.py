"""A visitor's regime is the server's: the CDN's country decides, a client's country only makes it stricter."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.regimes.service import MOST_PROTECTIVE_FIRST, load_rules
from consent_service.vocabulary import Regime
from tests.banner.conftest import COUNTRY_HEADER, ORIGIN

PRETICKED = {"preferences": True, "analytics": True, "advertising": True}


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def refusable(config: dict) -> list[dict]:
    return [p for p in config["purposes"] if p["refusable"]]


def test_a_client_country_cannot_make_an_eu_banner_opt_out(banner):
    config = banner(country="US", cdn_country="DE")
    assert config["regime"] == "opt_in"
    assert not any(p["preselected"] for p in refusable(config))
    assert config["banner_version"] == banner(cdn_country="DE")["banner_version"]


def test_a_client_country_may_ask_for_the_stricter_regime(banner):
    assert banner(cdn_country="US")["regime"] == "opt_out"
    stricter = banner(country="DE", cdn_country="US")
    assert stricter["regime"] == "opt_in" and not any(p["preselected"] for p in refusable(stricter))


def test_without_a_trusted_country_the_default_regime_holds(app_with, prop, banner):
    assert banner(country="US")["regime"] == "opt_in"  # header configured, not sent
    plain = app_with()  # no COUNTRY_HEADER: the CDN's word is not trusted either
    with plain.app_context():
        for headers in ({}, {COUNTRY_HEADER: "US"}):
            config = plain.test_client().get(f"/v1/banner/{prop.publishable_key}", query_string={"country": "US"},
                                             headers={"Origin": ORIGIN, **headers}).json
            assert config["regime"] == "opt_in"


def test_an_opt_out_banner_cannot_record_opt_in_grants(choose, banner, client, auth):
    us_banner = banner(cdn_country="US")
    assert {p["key"] for p in refusable(us_banner) if p["preselected"]} == {"preferences", "analytics"}
    for method in ("banner_custom", "banner_accept_all"):
        saved = choose(PRETICKED, method=method, config=us_banner, headers={COUNTRY_HEADER: "DE"})
        assert saved.status_code == 422, saved.json
        assert saved.json["code"] == "banner_regime_not_applicable"
    assert event_count() == 0


def test_the_recorded_regime_is_the_banner_the_server_chose(choose, banner):
    in_us = choose(PRETICKED, config=banner(cdn_country="US"), headers={COUNTRY_HEADER: "US"})
    assert in_us.status_code == 201, in_us.json
    stricter = choose({"analytics": True}, config=banner(country="DE", cdn_country="US"), headers={COUNTRY_HEADER: "US"})
    assert stricter.status_code == 201, stricter.json
    recorded = db.session.execute(select(ConsentEvent.subject_id, ConsentEvent.regime, ConsentEvent.country)).all()
    by_visitor = {subject: (regime, country) for subject, regime, country in recorded}
    assert sorted(by_visitor.values()) == [("opt_in", "US"), ("opt_out", "US")] and len(recorded) == 6


@pytest.mark.parametrize(("trusted", "claimed", "expected"), [
    ("DE", "US", Regime.OPT_IN), ("US", "DE", Regime.OPT_IN), ("US", None, Regime.OPT_OUT), ("US", "US", Regime.OPT_OUT),
    (None, "US", Regime.OPT_IN), (None, None, Regime.OPT_IN), ("US", "ZZ", Regime.OPT_IN),
])
def test_public_regime_is_a_function_of_the_rules(trusted, claimed, expected):
    assert load_rules().public_regime(trusted_country=trusted, claimed_country=claimed) is expected


def test_every_regime_has_a_place_in_the_protection_order():
    assert set(MOST_PROTECTIVE_FIRST) == set(Regime)
