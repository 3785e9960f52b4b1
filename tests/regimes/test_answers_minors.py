"""Minors (issue 17, class 3), beyond the answer table (tests/regimes/answer_cases/minors.py): a bad
age rule stops the start naming its entry, every shipped age rule cites its source, the age at a
check is the stated age plus the full years since, and migration 0018 backfills stated ages.
"""
from __future__ import annotations

import json

import pytest

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules
from consent_service.subjects.ages import age_at, born_by
from tests.regimes.answer_cases.minors import grant, states_age
from tests.regimes.helpers import post_events, rules_with


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
    post_events(client, headers, clock, states_age(20, "US"))
    post_events(client, headers, clock, grant("marketing", country="US", age=14))
    post_events(client, headers, clock, grant("marketing", country="DE") | {"subject": "c-2"})
    stated_at = db.session.scalar(select(ConsentEvent.recorded_at).where(ConsentEvent.age == 14))
    events_before = db.session.execute(text("SELECT * FROM consent_events ORDER BY id")).all()
    db.session.remove()
    downgrade(revision="0017_suppression_keeps_refusals")
    upgrade()
    born = dict(db.session.execute(select(Subject.external_id, Subject.born_by)).all())
    assert born == {"c-1": born_by(age=14, stated_at=stated_at), "c-2": None}
    assert db.session.execute(text("SELECT * FROM consent_events ORDER BY id")).all() == events_before
    clock.advance(minutes=1)
    answer = client.post("/v1/checks", json={"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"],
                                             "country": "DE"}, headers=headers).json
    assert answer["decisions"]["marketing"]["reason"] == "minor"
