"""Migration 0027 moves a ledger with rows in it, both ways, and the chains still verify."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from consent_service import create_app
from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.ledger import partitions
from consent_service.ledger import service as ledger
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method
from tests.conftest import settings_for


def test_a_ledger_with_rows_moves_to_partitions_and_back(empty_database):
    app = create_app(settings_for(empty_database))
    with app.app_context():
        upgrade()
        for number in range(3):
            record_consent(
                session=db.session, kind="customer", external_id=f"c-{number}",
                events=[consents.EventInput(purpose="marketing", decision=Decision.GRANTED, method=Method.API)],
                context=consents.EventContext(notice_version="v1"), rules=runtime().rules,
                now=datetime(2025, 11 + number % 2, 20, tzinfo=UTC),
            )
        db.session.commit()
        db.session.remove()
        downgrade(revision="0026_outgoing_mail")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM consent_events")).scalar() == 3

        upgrade()

        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 3
        assert partitions.partitioned(db.session) == (db.engine.dialect.name == "postgresql")
        report = ledger.verify(session=db.session)
        assert report.ok and (report.chains, report.events) == (3, 3), report.problems
        db.session.rollback()
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text("DELETE FROM consent_events"))
        db.session.remove()
        db.engine.dispose()
