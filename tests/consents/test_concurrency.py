"""Concurrent writers on one subject lose nothing and never share a revision."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.subjects.models import Subject

WRITERS = 8
REQUESTS_PER_WRITER = 10


def test_concurrent_writers_on_one_subject_lose_no_event(app, auth):
    headers = auth("consents:write")

    def write(writer: int) -> list[int]:
        client = app.test_client()
        statuses = []
        for n in range(REQUESTS_PER_WRITER):
            decision = "granted" if (writer + n) % 2 else "denied"
            events = [{"purpose": "marketing", "decision": decision, "method": "api"}]
            if n % 3 == 0:  # some requests carry two events, so revisions must move by the event count
                events.append({"purpose": "analytics", "decision": decision, "method": "api"})
            response = client.post(
                "/v1/subjects/customer/shared/consent-events",
                json={"events": events, "notice_version": "v1"},
                headers=headers,
            )
            statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [status for result in pool.map(write, range(WRITERS)) for status in result]

    assert statuses == [201] * WRITERS * REQUESTS_PER_WRITER
    expected_events = WRITERS * (REQUESTS_PER_WRITER + len(range(0, REQUESTS_PER_WRITER, 3)))
    db.session.expire_all()
    subject = db.session.scalars(select(Subject).where(Subject.external_id == "shared")).one()
    revisions = db.session.scalars(
        select(ConsentEvent.revision).where(ConsentEvent.subject_id == subject.id).order_by(ConsentEvent.revision)
    ).all()
    assert revisions == list(range(1, expected_events + 1))
    assert subject.revision == expected_events


def test_concurrent_first_writes_create_one_subject(app, auth):
    headers = auth("consents:write")

    def write(n: int) -> int:
        body = {"events": [{"purpose": "analytics", "decision": "granted", "method": "api"}], "notice_version": "v1"}
        return app.test_client().post("/v1/subjects/visitor/new-one/consent-events", json=body, headers=headers).status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        assert list(pool.map(write, range(WRITERS))) == [201] * WRITERS
    subjects = db.session.scalars(select(Subject).where(Subject.external_id == "new-one")).all()
    assert len(subjects) == 1 and subjects[0].revision == WRITERS


def test_concurrent_retries_with_one_idempotency_key_write_once(app, auth):
    headers = auth("consents:write") | {"Idempotency-Key": "retry-storm"}
    body = {"events": [{"purpose": "marketing", "decision": "denied", "method": "api"}], "notice_version": "v1"}

    def write(_: int):
        response = app.test_client().post("/v1/subjects/customer/idem/consent-events", json=body, headers=headers)
        return response.status_code, response.json["revision"]

    with ThreadPoolExecutor(WRITERS) as pool:
        answers = list(pool.map(write, range(WRITERS)))
    assert answers == [(201, 1)] * WRITERS
    assert len(db.session.scalars(select(ConsentEvent)).all()) == 1


DESTINATIONS = ["US", "IN", "BR", "ZA", "MX", "AR", "CN", "NG"]


def test_concurrent_transfer_grants_keep_every_destination(app, auth):
    """Each write folds the subject's stored state: one that waited for the lock must fold the state
    the writer before it left, not the one it saw before the wait, or a destination is lost."""
    headers = auth("consents:write", "consents:read")

    def grant(destination: str) -> list[int]:
        client = app.test_client()
        return [
            client.post("/v1/subjects/customer/traveller/consent-events", headers=headers, json={
                "events": [{"purpose": "cross_border_transfer", "decision": "granted", "method": "written"}],
                "notice_version": "v1", "country": "DE", "destination_country": destination,
            }).status_code
            for _ in range(3)
        ]

    with ThreadPoolExecutor(len(DESTINATIONS)) as pool:
        assert [s for result in pool.map(grant, DESTINATIONS) for s in result] == [201] * 3 * len(DESTINATIONS)
    state = app.test_client().get("/v1/subjects/customer/traveller/consents", headers=headers).get_json()
    assert state["revision"] == 3 * len(DESTINATIONS)
    checks = [
        app.test_client().post("/v1/checks", headers=headers, json={
            "subject": {"kind": "customer", "id": "traveller"}, "purposes": ["cross_border_transfer"],
            "country": "DE", "destination_country": destination}).get_json()["allowed"]
        for destination in DESTINATIONS
    ]
    assert checks == [True] * len(DESTINATIONS)
