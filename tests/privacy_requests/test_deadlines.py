"""Deadlines by law: the region's law over its country's, calendar months, the one extension, verification by type,
and the rules file's privacy_requests block checked at start."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from consent_service.config import ConfigError
from consent_service.privacy_requests.deadlines import (
    NoExtension,
    due_at,
    extended_due_at,
    law_for,
    needs_verification,
)
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules, parse_rules
from consent_service.vocabulary import RequestType

RULES = load_rules().privacy_requests
LAWS_ONLY = dataclasses.replace(RULES, promised={})  # the laws' own periods, without the notices' promises


def due(law, *, received_at: datetime, type: RequestType = RequestType.ACCESS, rules=LAWS_ONLY) -> datetime:
    return due_at(rules, law, type=type, received_at=received_at)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


@pytest.mark.parametrize(("country", "region", "law"), [
    ("DE", None, "gdpr"), ("FR", None, "gdpr"), ("NO", None, "gdpr"), ("GB", None, "uk_gdpr"), ("CH", None, "ch_fadp"),
    ("US", "US-CA", "ccpa"), ("US", "US-CO", "us_state"), ("US", "US-IA", "iowa"), ("BR", None, "lgpd"),
    ("CA", None, "pipeda"), ("CA", "CA-QC", "quebec"), ("CA", "CA-ON", "pipeda"),
    ("US", None, "default"), ("JP", None, "default"), (None, None, "default"), (None, "US-CA", "ccpa"),
])
def test_the_law_of_a_place_is_its_regions_then_its_countrys_then_the_default(country, region, law):
    assert law_for(RULES, country=country, region=region).key == law


def test_gdpr_counts_calendar_months_to_the_last_day_of_a_shorter_month():
    gdpr = law_for(RULES, country="DE", region=None)
    assert due(gdpr, received_at=at(2026, 1, 31)) == at(2026, 2, 28)
    assert due(gdpr, received_at=at(2028, 1, 31)) == at(2028, 2, 29)  # a leap year
    assert due(gdpr, received_at=at(2026, 3, 15, 9)) == at(2026, 4, 15, 9)
    assert extended_due_at(gdpr, due_at=at(2026, 2, 28)) == at(2026, 4, 28)


def test_ccpa_counts_45_days_and_extends_by_45_more():
    ccpa = law_for(RULES, country="US", region="US-CA")
    assert due(ccpa, received_at=at(2026, 1, 15)) == at(2026, 3, 1)
    assert extended_due_at(ccpa, due_at=at(2026, 3, 1)) == at(2026, 4, 15)


def test_lgpd_gives_15_days_and_no_extension():
    lgpd = law_for(RULES, country="BR", region=None)
    assert due(lgpd, received_at=at(2026, 1, 15)) == at(2026, 1, 30)
    with pytest.raises(NoExtension):
        extended_due_at(lgpd, due_at=at(2026, 1, 30))


@pytest.mark.parametrize(("country", "region", "type", "received", "due_by"), [
    # CloudCall "will respond within 45 days": sooner than Iowa's 90, the same as the CCPA's 45.
    ("US", "US-IA", RequestType.ACCESS, at(2026, 1, 15), at(2026, 3, 1)),
    ("US", "US-CA", RequestType.ACCESS, at(2026, 1, 15), at(2026, 3, 1)),
    # The video platform's deletion "may take up to 30 days": sooner than the CCPA's 45 days...
    ("US", "US-CA", RequestType.DELETION, at(2026, 1, 15), at(2026, 2, 14)),
    # ... and than a 31-day month under the GDPR, but not than February.
    ("DE", None, RequestType.DELETION, at(2026, 3, 1), at(2026, 3, 31)),
    ("DE", None, RequestType.DELETION, at(2026, 1, 31), at(2026, 2, 28)),
    # A promise never gives more time than the law: the GDPR's month and the LGPD's 15 days stand.
    ("DE", None, RequestType.ACCESS, at(2026, 1, 15), at(2026, 2, 15)),
    ("BR", None, RequestType.DELETION, at(2026, 1, 15), at(2026, 1, 30)),
])
def test_the_notices_promises_bind_where_sooner_than_the_law(country, region, type, received, due_by):
    law = law_for(RULES, country=country, region=region)
    assert due(law, received_at=received, type=type, rules=RULES) == due_by


def test_only_an_opt_out_of_sale_runs_without_proof_of_identity():
    assert not needs_verification(RULES, RequestType.OPT_OUT_OF_SALE)
    assert all(needs_verification(RULES, kind) for kind in RequestType if kind is not RequestType.OPT_OUT_OF_SALE)


def shipped() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "named"), [
    (lambda b: b["laws"].pop("default"), "privacy_requests.laws: names no `default` law"),
    (lambda b: b["laws"]["gdpr"].pop("source"), "privacy_requests.laws.gdpr.source"),
    (lambda b: b["laws"]["gdpr"].update(respond_within={"weeks": 4}), "privacy_requests.laws.gdpr.respond_within"),
    (lambda b: b["laws"]["ccpa"].update(extension={"days": 0}), "privacy_requests.laws.ccpa.extension.days"),
    (lambda b: b["laws"]["ccpa"].update(regions=["US-XX"]), "privacy_requests.laws.ccpa.regions[0]"),
    (lambda b: b["laws"]["lgpd"].update(countries=["DE"]), "DE is already under gdpr"),
    (lambda b: b["verification"].pop("access"), "says nothing of access"),
    (lambda b: b["verification"].update(access="maybe"), "privacy_requests.verification.access"),
    (lambda b: b.update(due_soon_days=0), "privacy_requests.due_soon_days"),
    (lambda b: b.update(deadline=1), "privacy_requests: unknown keys"),
    (lambda b: b["promises"].pop("source"), "privacy_requests.promises.source"),
    (lambda b: b["promises"]["by_type"].update(erasure={"days": 30}), "privacy_requests.promises.by_type.erasure"),
    (lambda b: b["promises"].update(respond_within={"weeks": 6}), "privacy_requests.promises.respond_within"),
])
def test_a_bad_privacy_requests_block_stops_the_start_naming_the_entry(change, named):
    document = shipped()
    change(document["privacy_requests"])
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]").replace("`", "`")):
        parse_rules(document)


def test_a_rules_file_without_the_block_keeps_the_shipped_deadlines():
    document = shipped()
    del document["privacy_requests"]
    assert parse_rules(document).privacy_requests == RULES
