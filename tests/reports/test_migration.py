"""Migration 0006 fills the rollup from a ledger written before it: the same counts as a rebuild.

The events are inserted as rows at 0005 (the chain columns hold placeholders: nothing here verifies them)."""
from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from consent_service import create_app
from consent_service.extensions import db
from consent_service.reports import service as reports
from consent_service.reports.models import ConsentRollup
from consent_service.reports.service import GroupBy, Interval
from tests.conftest import settings_for

SUBJECT = ("INSERT INTO subjects (id, kind, external_id, revision, created_at, updated_at) "
           "VALUES (:id, 'visitor', :external_id, 3, '2025-01-01 10:00:00', '2025-01-01 10:00:00')")
EVENT = (
    "INSERT INTO consent_events (id, subject_id, revision, purpose, decision, method, notice_version, regime, "
    "country, property_key, language, actor_type, evidence, recorded_at, personal_digest, prev_hash, hash) "
    "VALUES (:id, :subject, :revision, :purpose, :decision, :method, 'v1', 'opt_in', :country, :property, :language, "
    "'subject', '{}', :at, 'digest', 'prev', :id)"
)
LEDGER = [  # subject, revision, purpose, decision, method, country, property, language, at (UTC)
    (1, 1, "analytics", "granted", "banner_accept_all", "DE", "pk_a", "de", "2025-01-06 23:59:59.5"),
    (1, 2, "advertising", "granted", "banner_accept_all", "DE", "pk_a", "de", "2025-01-06 23:59:59.5"),
    (1, 3, "advertising", "denied", "gpc", "DE", "pk_a", "de", "2025-01-06 23:59:59.5"),
    (2, 1, "analytics", "denied", "banner_reject_all", None, "pk_a", None, "2025-01-07 00:00:00"),
    (2, 2, "analytics", "granted", "banner_custom", None, "pk_b", None, "2025-01-08 08:00:00"),
    (2, 3, "marketing", "withdrawn", "api", "FR", None, None, "2025-02-01 08:00:00"),
]


def test_upgrade_fills_the_rollup_from_the_existing_ledger(empty_database):
    app = create_app(settings_for(empty_database))
    with app.app_context():
        upgrade(revision="0005_evidence")
        with db.engine.begin() as connection:
            for subject in (1, 2):
                connection.execute(text(SUBJECT), {"id": subject, "external_id": f"v-{subject}"})
            for subject, revision, purpose, decision, method, country, prop, language, at in LEDGER:
                connection.execute(text(EVENT), {
                    "id": f"evt_{subject}_{revision}", "subject": subject, "revision": revision, "purpose": purpose,
                    "decision": decision, "method": method, "country": country, "property": prop,
                    "language": language, "at": at + ("+00" if empty_database.startswith("postgresql") else ""),
                })

        upgrade()

        session = db.session
        migrated = set(session.execute(select(ConsentRollup.__table__)).all())
        assert len(migrated) == 6 + 3  # each event differs in a counted field; three banner choices
        everything = dict(start=date(2025, 1, 1), end=date(2025, 2, 28))
        january = reports.consent_rates(session=session, **everything, interval=Interval.MONTH)
        assert [(c.period_start, c.accept_all, c.reject_all, c.custom) for c in january.choices] == [
            (date(2025, 1, 1), 1, 1, 1)
        ]
        for group_by in [None, *GroupBy]:
            question = dict(everything, group_by=group_by)
            assert reports.consent_rates(session=session, **question) == reports.recompute(session=session, **question)
        reports.rebuild_rollups(session=session)
        assert set(session.execute(select(ConsentRollup.__table__)).all()) == migrated
        session.rollback()
        session.remove()
        db.engine.dispose()
