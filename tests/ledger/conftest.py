"""The ledger tests record decisions and run CLI commands as the rights tests do."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.subjects.models import Subject
from tests.rights.conftest import flask_cli, record  # noqa: F401 (fixtures)


def events_of(subject: str) -> list[ConsentEvent]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(ConsentEvent).join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(Subject.external_id == subject).order_by(ConsentEvent.revision)
    ))


@pytest.fixture
def ledger(record, clock) -> list[ConsentEvent]:
    """c-1: four marketing decisions; c-2: one analytics grant. Returns c-1's events."""
    for decision in ("granted", "denied", "granted", "withdrawn"):
        record("customer", "c-1", [("marketing", decision, "api")], evidence={"reference": "ticket-9"})
        clock.advance(seconds=1)
    record("customer", "c-2", [("analytics", "granted", "api")])
    return events_of("c-1")
