"""Migration 0005 seals a ledger written before it, and keeps the append-only triggers in force."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from consent_service import create_app
from consent_service.extensions import db
from consent_service.ledger import service as ledger
from tests.conftest import settings_for

EVENT = (
    "INSERT INTO consent_events (id, subject_id, revision, purpose, decision, method, notice_version, regime, "
    "actor_type, actor_id, evidence, recorded_at) VALUES (:id, 1, :revision, 'marketing', :decision, 'api', 'v1', "
    "'opt_in', 'agent', 'agent-1', '{\"reference\": \"call-1\"}', :at)"
)

STATE = (
    "INSERT INTO consent_states (subject_id, purpose, decision, method, notice_version, regime, actor_type, event_id, "
    "revision, updated_at) VALUES (1, 'marketing', 'denied', 'api', 'v1', 'opt_in', 'agent', 'evt_b', 2, "
    "'2025-01-01 10:00:01')"
)


def test_existing_events_are_chained_on_upgrade(empty_database):
    app = create_app(settings_for(empty_database))
    with app.app_context():
        upgrade(revision="0004_notices_rules")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO subjects (id, kind, external_id, revision, created_at, updated_at) "
                                    "VALUES (1, 'customer', 'c-1', 2, '2025-01-01 10:00:00', '2025-01-01 10:00:01')"))
            connection.execute(text(EVENT), {"id": "evt_a", "revision": 1, "decision": "granted", "at": "2025-01-01 10:00:00.123456"})
            connection.execute(text(EVENT), {"id": "evt_b", "revision": 2, "decision": "denied", "at": "2025-01-01 10:00:01"})
            connection.execute(text(STATE))  # what the write path stored with them: verify folds the chain to it

        upgrade()

        report = ledger.verify(session=db.session)
        assert report.ok and (report.chains, report.events) == (1, 2), report.problems
        db.session.rollback()
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text("UPDATE consent_events SET decision = 'granted'"))
        db.session.remove()
        db.engine.dispose()
