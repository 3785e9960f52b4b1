"""Minors, case by case (issue 17, class 3): jurisdiction x purpose x age x actor, each answered with
its exact `allowed` and `reason`, on both databases.

The age a subject stated is kept with when it was stated and read for the jurisdiction of each check
(the stated age plus the full years since, a lower bound); the law's age rules (GDPR Art. 8 per
member state, COPPA 13, CCPA sale/sharing opt-in under 16, GDPR Recital 71 for automated decisions)
and the operator's stricter policy (the rules file's `policy.minors`) decide what still allows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules
from consent_service.subjects.ages import age_at, born_by
from tests.regimes.helpers import post_events, rules_with

GUARDIAN = {"type": "guardian", "id": "parent-1"}
AGENT = {"type": "agent", "id": "agent-7"}


def grant(purpose: str, method: str = "api", **context) -> dict:
    return {"events": [{"purpose": purpose, "decision": "granted", "method": method}], **context}


def states_age(age: int, country: str) -> dict:
    """A write that only states the subject's age (a refusal of a purpose no case checks)."""
    return {"events": [{"purpose": "preferences", "decision": "denied", "method": "api"}],
            "age": age, "country": country}


def later(days: int) -> dict:
    return {"wait_days": days}


@dataclass
class Case:
    name: str
    check: dict  # purposes (the first is asserted), country, on_behalf_of, gpc
    expect: tuple[bool, str]
    writes: list[dict] = field(default_factory=list)  # bodies; "error" expects a refusal, "wait_days" moves the clock


def c(purpose: str, country: str | None, **extra) -> dict:
    return {"purposes": [purpose], **({"country": country} if country else {}), **extra}


CASES = [
    # CCPA: no sale or sharing under 16 without an opt-in (Cal. Civ. Code 1798.120(c)); COPPA 13 below that.
    Case("US 14, advertising, nothing recorded: opt-in needed", c("advertising", "US"), (False, "minor"),
         [states_age(14, "US")]),
    Case("US 15, advertising, nothing recorded: opt-in needed", c("advertising", "US"), (False, "minor"),
         [states_age(15, "US")]),
    Case("US 13, advertising under GPC, nothing recorded", c("advertising", "US", gpc=True), (False, "minor"),
         [states_age(13, "US")]),
    Case("US 14, advertising, their own opt-in allows", c("advertising", "US"), (True, "granted"),
         [grant("advertising", "banner_custom", country="US", age=14)]),
    Case("US 12, advertising, their own opt-in is refused (COPPA)", c("advertising", "US"), (False, "minor"),
         [states_age(12, "US"), grant("advertising", "banner_custom", country="US", age=12) | {"error": "minor"}]),
    Case("US 12, advertising, a guardian's opt-in allows", c("advertising", "US"), (True, "granted"),
         [grant("advertising", country="US", age=12, actor=GUARDIAN)]),
    Case("US 14, analytics: the CCPA age is for sale and sharing only", c("analytics", "US"), (True, "default_opt_out"),
         [states_age(14, "US")]),
    Case("US 14 stated, 2 years on: 16, the CCPA age no longer applies", c("analytics", "US"), (True, "default_opt_out"),
         [states_age(14, "US"), later(2 * 366)]),
    Case("US 15 stated, 364 days on: maybe still 15, advertising still needs the opt-in", c("advertising", "US"),
         (False, "minor"), [states_age(15, "US"), later(364)]),
    Case("DE 16, advertising: no CCPA age outside the US", c("advertising", "DE"), (False, "opt_in_required"),
         [states_age(16, "DE")]),
    # The age is re-read for the jurisdiction of the check, not fixed where it was stated.
    Case("14 stated in the US, own grant, checked in Germany (16)", c("marketing", "DE"), (False, "minor"),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in the US, own grant, checked in France (15)", c("analytics", "FR"), (False, "minor"),
         [grant("analytics", country="US", age=14)]),
    Case("14 stated in the US, own grant, checked in the US", c("marketing", "US"), (True, "granted"),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in Germany, nothing recorded, checked in the US (13)", c("analytics", "US"),
         (True, "default_opt_out"), [states_age(14, "DE")]),
    Case("14 stated in Germany, checked in the UK (13): their own grant counts", c("marketing", "GB"),
         (True, "granted"), [states_age(14, "DE"), grant("marketing", country="GB")]),
    Case("14 stated in the US, checked in Japan (default age 16)", c("marketing", "JP"), (False, "minor"),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in the US, checked with no country: the subject's last country", c("marketing", None),
         (True, "granted"), [grant("marketing", country="US", age=14)]),
    Case("12 stated in the US, 2 years on checked in Germany: 14 is under 16", c("marketing", "DE"), (False, "minor"),
         [states_age(12, "US"), later(2 * 366)]),
    Case("15 stated in the US, own grant, 364 days on in Germany: still maybe 15", c("marketing", "DE"),
         (False, "minor"), [grant("marketing", country="US", age=15), later(364)]),
    Case("15 stated in the US, own grant, 366 days on in Germany: 16", c("marketing", "DE"), (True, "granted"),
         [grant("marketing", country="US", age=15), later(366)]),
    # Automated decisions never concern a child (GDPR Recital 71): under 18, whoever asks or consents.
    Case("on behalf of an organization, a 14-year-old in the US", c("automated_decisions", "US", on_behalf_of="org-1"),
         (False, "minor"), [grant("automated_decisions") | {"subject": "org-1"}, states_age(14, "US")]),
    Case("on behalf of an organization, a 17-year-old in Germany", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (False, "minor"), [grant("automated_decisions") | {"subject": "org-1"}, states_age(17, "DE")]),
    Case("on behalf of an organization, 17 stated a year ago: 18", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (True, "not_objected"),
         [grant("automated_decisions") | {"subject": "org-1"}, states_age(17, "DE"), later(366)]),
    Case("on behalf of an organization, an adult", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (True, "not_objected"), [grant("automated_decisions") | {"subject": "org-1"}, states_age(30, "DE")]),
    Case("a 17-year-old's own consent to automated decisions", c("automated_decisions", "DE"), (False, "minor"),
         [states_age(17, "DE"), grant("automated_decisions", country="DE", age=17) | {"error": "minor"}]),
    Case("a guardian's consent to automated decisions for a 15-year-old", c("automated_decisions", "US"),
         (False, "minor"),
         [states_age(15, "US"), grant("automated_decisions", country="US", age=15, actor=GUARDIAN) | {"error": "minor"}]),
    Case("an 18-year-old's own consent to automated decisions", c("automated_decisions", "DE"), (True, "granted"),
         [grant("automated_decisions", country="DE", age=18)]),
    Case("an earlier adult grant, then 17 stated: no automated decisions", c("automated_decisions", "DE"),
         (False, "minor"), [grant("automated_decisions", country="DE"), states_age(17, "DE")]),
    # The shipped operator policy: no one under 16 in the EEA (the notices), no recording under 16.
    Case("Denmark 13, own grant: the EEA policy says 16", c("marketing", "DK"), (False, "minor"),
         [states_age(13, "DK"), grant("marketing", country="DK", age=13) | {"error": "minor"}]),
    Case("Denmark 13, a guardian's grant allows", c("marketing", "DK"), (True, "granted"),
         [grant("marketing", country="DK", age=13, actor=GUARDIAN)]),
    Case("Sweden 15, an agent's grant is not a guardian's", c("analytics", "SE"), (False, "minor"),
         [states_age(15, "SE"), grant("analytics", country="SE", age=15, actor=AGENT) | {"error": "minor"}]),
    Case("Denmark 16, own grant", c("marketing", "DK"), (True, "granted"), [grant("marketing", country="DK", age=16)]),
    Case("the UK 13, own grant: the EEA policy stops at its border", c("marketing", "GB"), (True, "granted"),
         [grant("marketing", country="GB", age=13)]),
    Case("US 14, recording, nothing recorded", c("recording", "US"), (False, "minor"), [states_age(14, "US")]),
    Case("US 14, their own verbal approval to record", c("recording", "US"), (False, "minor"),
         [states_age(14, "US"), grant("recording", "verbal", country="US", age=14) | {"error": "minor"}]),
    Case("US 14, a guardian approves the recording", c("recording", "US"), (True, "granted"),
         [grant("recording", "verbal", country="US", age=14, actor=GUARDIAN)]),
    Case("US 16, their own approval to record", c("recording", "US"), (True, "granted"),
         [grant("recording", "verbal", country="US", age=16)]),
    Case("UK 15, recording: the policy holds everywhere", c("recording", "GB"), (False, "minor"),
         [states_age(15, "GB"), grant("recording", "verbal", country="GB", age=15) | {"error": "minor"}]),
    Case("a minor's service notices still reach them", c("service_notices", "DE"), (True, "not_refusable"),
         [states_age(10, "DE")]),
    Case("no age stated: nothing changes", c("marketing", "DK"), (True, "granted"), [grant("marketing", country="DK")]),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_minor(case: Case, client, auth, clock):
    headers = auth("consents:read", "consents:write", "admin")
    for body in case.writes:
        _write(client, headers, clock, dict(body))
    clock.advance(minutes=1)
    assert _check(client, headers, case.check) == case.expect


def _check(client, headers, check: dict) -> tuple[bool, str]:
    answer = client.post("/v1/checks", json={"subject": {"kind": "customer", "id": "c-1"}, **check}, headers=headers)
    assert answer.status_code == 200, answer.json
    decision = answer.json["decisions"][check["purposes"][0]]
    return decision["allowed"], decision["reason"]


def _write(client, headers, clock, body: dict) -> None:
    if "wait_days" in body:
        clock.advance(days=body["wait_days"])
        return
    post_events(client, headers, clock, body)


# An operator's own policy, stricter than the law: an operator purpose closed under 18 ("children are
# not eligible to use our services"), one at 18 with a guardian, and recording at 16 everywhere.
def with_operator_policy(rules: dict) -> None:
    rules["policy"] = {
        "operator_purposes": ["cloud_calling", "voice_profile"],
        "minors": [
            {"purposes": ["cloud_calling"], "under": 18, "allows": "nothing",
             "source": "Cloud-calling policy: children (under 18) are not eligible to use the services"},
            {"purposes": ["voice_profile"], "under": 18, "source": "Operator policy: a guardian decides under 18"},
            {"purposes": ["recording"], "under": 16, "source": "Call recording notice: no one under 16"},
        ],
    }


POLICY_CASES = [
    ("cloud_calling", "US", [states_age(17, "US"), grant("cloud_calling", country="US", age=17) | {"error": "minor"}],
     (False, "minor")),
    ("cloud_calling", "US",
     [states_age(17, "US"), grant("cloud_calling", country="US", age=17, actor=GUARDIAN) | {"error": "minor"}],
     (False, "minor")),
    ("cloud_calling", "DE", [grant("cloud_calling", country="US", age=30), states_age(17, "US")], (False, "minor")),
    ("cloud_calling", "US", [grant("cloud_calling", country="US", age=18)], (True, "granted")),
    ("cloud_calling", "US",
     [states_age(17, "US"), grant("cloud_calling", country="US", age=17, actor=GUARDIAN) | {"error": "minor"},
                             later(366), grant("cloud_calling", country="US")], (True, "granted")),
    ("voice_profile", "US", [states_age(17, "US"), grant("voice_profile", country="US", age=17) | {"error": "minor"}],
     (False, "minor")),
    ("voice_profile", "US", [grant("voice_profile", country="US", age=17, actor=GUARDIAN)], (True, "granted")),
    ("voice_profile", "US", [states_age(17, "US")], (False, "minor")),
    ("marketing", "DK", [grant("marketing", country="DK", age=13)], (True, "granted")),  # this file has no EEA policy
]


@pytest.mark.parametrize(("purpose", "country", "writes", "expect"), POLICY_CASES,
                         ids=[f"{p}-{country}-{i}" for i, (p, country, _, _) in enumerate(POLICY_CASES)])
def test_operator_policy_from_the_rules_file(purpose, country, writes, expect, app_with, auth, clock, tmp_path):
    app = app_with(rules_file=rules_with(tmp_path, with_operator_policy))
    headers = auth("consents:read", "consents:write", "admin")
    with app.app_context():
        client = app.test_client()
        for key in ("cloud_calling", "voice_profile"):
            body = {"key": key, "name": key, "category": "processing", "legal_basis": "consent"}
            assert client.post("/v1/purposes", json=body, headers=headers).status_code == 201
        for body in writes:
            _write(client, headers, clock, dict(body))
        clock.advance(minutes=1)
        assert _check(client, headers, c(purpose, country)) == expect


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["policy"]["minors"].append({"purposes": ["recordings"], "under": 16, "source": "notice"}),
         "policy.minors[2].purposes[0]: 'recordings' is not a purpose"),
        (lambda r: r["policy"]["minors"].append({"purposes": ["cloud_calling"], "under": 18, "source": "notice"}),
         "policy.minors[2].purposes[0]: 'cloud_calling' is not a purpose"),
        (lambda r: r["policy"]["minors"].append({"purposes": ["recording"], "under": 16}), "policy.minors[2].source"),
        (lambda r: r["policy"]["minors"].append({"purposes": ["recording"], "under": 40, "source": "x"}),
         "policy.minors[2].under"),
        (lambda r: r["policy"]["minors"].append({"purposes": ["recording"], "under": 16, "source": "x",
                                                 "allows": "maybe"}),
         "policy.minors[2].allows"),
        (lambda r: r["policy"]["minors"].append({"purposes": ["recording"], "under": 16, "source": "x",
                                                 "countries": ["Europe"]}), "policy.minors[2].countries[0]"),
        (lambda r: r["minors"].append({"purposes": ["advertising"], "under": 16, "source": "x", "age": 3}),
         "minors[2]: unknown keys"),
    ],
)
def test_a_bad_age_rule_stops_the_start_naming_the_entry(tmp_path, change, named):
    path = rules_with(tmp_path, change)
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_rules(path)
    with pytest.raises(ConfigError, match="regime rules"):
        create_app(environ={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "RULES_FILE": path})


def test_every_shipped_age_rule_cites_its_source():
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    for entry in [*rules["minors"], *rules["policy"]["minors"]]:
        assert entry["source"].strip(), entry


@pytest.mark.parametrize(
    ("age", "stated", "now", "expected"),
    [
        (15, "2026-03-10T12:00:00", "2027-03-10T11:59:59", 15),
        (15, "2026-03-10T12:00:00", "2027-03-10T12:00:00", 16),
        (14, "2024-02-29T08:00:00", "2025-02-28T08:00:00", 15),
        (0, "2026-01-01T00:00:00", "2026-12-31T23:59:59", 0),
    ],
)
def test_the_age_at_a_check_is_the_stated_age_plus_the_full_years_since(age, stated, now, expected):
    from datetime import datetime, timezone

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)

    assert age_at(born_by(age=age, stated_at=at(stated)), at(now)) == expected


def test_migration_0018_backfills_ages_from_the_events_that_stated_them(app, client, auth, clock):
    """Subjects written before `born_by` existed keep their age: the latest event that stated one gives
    it (the events are read, not rewritten); an erased subject gets none."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, text

    from consent_service.consents.models import ConsentEvent
    from consent_service.extensions import db
    from consent_service.subjects.models import Subject

    headers = auth("consents:read", "consents:write", "admin")
    _write(client, headers, clock, states_age(20, "US"))
    _write(client, headers, clock, grant("marketing", country="US", age=14))
    _write(client, headers, clock, grant("marketing", country="DE") | {"subject": "c-2"})
    stated_at = db.session.scalar(select(ConsentEvent.recorded_at).where(ConsentEvent.age == 14))
    events_before = db.session.execute(text("SELECT * FROM consent_events ORDER BY id")).all()
    db.session.remove()
    downgrade(revision="0017_suppression_keeps_refusals")
    upgrade()
    born = dict(db.session.execute(select(Subject.external_id, Subject.born_by)).all())
    assert born == {"c-1": born_by(age=14, stated_at=stated_at), "c-2": None}
    assert db.session.execute(text("SELECT * FROM consent_events ORDER BY id")).all() == events_before
    clock.advance(minutes=1)
    assert _check(client, headers, c("marketing", "DE")) == (False, "minor")
