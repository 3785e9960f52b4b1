"""Erasure removes the person everywhere and keeps the proof; a suppression entry outlives it."""
from __future__ import annotations

import json

from sqlalchemy import inspect, select, text, update

from consent_service import partitions
from consent_service.extensions import db
from consent_service.subjects.models import Suppression
from consent_service.webhooks.models import WebhookDelivery, WebhookEvent

CUSTOMER = "cust-8812-original"
EMAIL = "jane.doe@example.com"
VISITOR = "vis-5531-linked"


def _rows_holding(*needles: str) -> list[str]:
    """Every table.column whose value contains one of the needles, scanning every row of every table."""
    found = []
    db.session.rollback()  # the test's own session must not hold SQLite's write lock meanwhile
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if partitions.is_partition(table):
                continue  # its rows are read through its partitioned table
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                for column, value in row.items():
                    rendered = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
                    if any(needle in rendered for needle in needles):
                        found.append(f"{table}.{column}")
    return found


def _customer_with_everything(client, auth, record) -> None:
    """Events with an email as evidence, a linked visitor, a token, an idempotent answer, webhook rows."""
    admin = auth("admin")
    hook = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/consent",
                                             "event_types": ["consent.changed"]}, headers=admin)
    assert hook.status_code == 201, hook.json
    record("visitor", VISITOR, [("analytics", "granted", "api")])
    record("customer", CUSTOMER, [("marketing", "granted", "api"), ("recording", "granted", "verbal")],
           evidence={"reference": EMAIL}, actor={"type": "subject", "id": EMAIL})
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "api"}], "notice_version": "v1"}
    replayed = client.post(f"/v1/subjects/customer/{CUSTOMER}/consent-events", json=body,
                           headers=auth("consents:write") | {"Idempotency-Key": "k-1"})
    assert replayed.status_code == 201
    linked = client.post(f"/v1/subjects/customer/{CUSTOMER}/links", json={"visitor_id": VISITOR},
                         headers=auth("consents:write"))
    assert linked.status_code == 201, linked.json
    assert client.post(f"/v1/subjects/customer/{CUSTOMER}/tokens", json={}, headers=auth("tokens:issue")).status_code == 201
    assert set(_rows_holding(CUSTOMER, EMAIL, VISITOR)) >= {
        "subjects.external_id", "consent_events.evidence", "idempotency_records.response", "webhook_events.payload",
    }


def test_after_erasure_no_table_holds_the_identifiers_and_the_proof_verifies(client, auth, record, flask_cli):
    _customer_with_everything(client, auth, record)

    response = client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=auth("subjects:erase"))

    assert response.status_code == 200, response.json
    receipt = response.json
    assert receipt["id"].startswith("era_") and receipt["repeated"] is False and receipt["suppressed"] is True
    assert receipt["subject"]["kind"] == "customer" and CUSTOMER not in json.dumps(receipt)
    assert receipt["done"] == receipt["done"] | {
        "subjects_pseudonymized": 2, "linked_visitors_erased": 1, "links_removed": 1, "events_kept_as_proof": 5,
        "token_records_deleted": 1, "idempotency_records_deleted": 1,
    }
    assert _rows_holding(CUSTOMER, EMAIL, VISITOR) == []
    assert db.session.scalar(text("SELECT count(*) FROM consent_events")) == 5  # the proof stays

    verified = flask_cli("ledger", "verify")
    assert verified.exit_code == 0, verified.output
    assert "ledger ok: 2 chains, 5 events" in verified.output


def test_an_erased_customer_seen_again_is_suppressed_from_marketing(client, auth, record):
    record("customer", CUSTOMER, [("marketing", "granted", "api")])
    client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=auth("subjects:erase"))
    check = {"subject": {"kind": "customer", "id": CUSTOMER}, "purposes": ["marketing", "service_notices"], "country": "US"}

    answer = client.post("/v1/checks", json=check, headers=auth("consents:read")).json

    assert answer["decisions"]["marketing"] == {"allowed": False, "reason": "suppressed"} | {
        k: v for k, v in answer["decisions"]["marketing"].items() if k not in ("allowed", "reason")}
    assert answer["decisions"]["service_notices"]["allowed"] is True
    # Seen again (a new subject, same id): still suppressed until they consent again themselves.
    record("customer", CUSTOMER, [("analytics", "granted", "api")])
    answer = client.post("/v1/checks", json=check, headers=auth("consents:read")).json
    assert answer["decisions"]["marketing"]["reason"] == "suppressed"


def _erasure_webhook(client, auth) -> None:
    hook = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/erasure",
                                             "event_types": ["subject.erased"]}, headers=auth("admin"))
    assert hook.status_code == 201, hook.json


def _erased_events() -> list[dict]:
    return [event.payload for event in db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "subject.erased"))]


def test_erasing_an_identifier_never_recorded_suppresses_it_says_unknown_and_tells_no_receiver(client, auth, record):
    _erasure_webhook(client, auth)
    typo = "cust-8812-orignal"

    response = client.delete(f"/v1/subjects/customer/{typo}", headers=auth("subjects:erase"))

    assert response.status_code == 200, response.json
    assert response.json["known"] is False and response.json["suppressed"] is True
    assert response.json["done"]["subjects_pseudonymized"] == 0
    assert _erased_events() == [] and _rows_holding(typo) == []  # no webhook carries the mistyped identifier
    # Suppressed all the same: should the identifier come, marketing stays off until they consent again.
    record("customer", typo, [("analytics", "granted", "api")])
    check = {"subject": {"kind": "customer", "id": typo}, "purposes": ["marketing"], "country": "US"}
    assert client.post("/v1/checks", json=check, headers=auth("consents:read")).json["decisions"]["marketing"][
        "reason"] == "suppressed"
    # Erasing what is now recorded under it is a known erasure, announced.
    again = client.delete(f"/v1/subjects/customer/{typo}", headers=auth("subjects:erase"))
    assert again.json["known"] is True and again.json["repeated"] is False
    assert [event["data"]["subject"] for event in _erased_events()] == [{"kind": "customer", "id": typo}]


def test_a_known_erasure_says_known_and_is_announced_once(client, auth, record):
    _erasure_webhook(client, auth)
    record("customer", CUSTOMER, [("marketing", "granted", "api")])
    headers = auth("subjects:erase")

    first = client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=headers)
    second = client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=headers)

    assert first.json["known"] is True and second.json == first.json | {"repeated": True}
    assert len(_erased_events()) == 1


def test_an_unknown_erasure_replayed_stays_unknown_and_a_receipt_from_before_known_says_it(client, auth, session):
    headers = auth("subjects:erase")
    first = client.delete("/v1/subjects/customer/nobody-1", headers=headers).json
    assert client.delete("/v1/subjects/customer/nobody-1", headers=headers).json == first | {"repeated": True}
    # A receipt stored before `known` existed: what it pseudonymized tells.
    entry = session.scalars(select(Suppression)).one()
    entry.receipt = {key: value for key, value in entry.receipt.items() if key != "known"}
    session.commit()
    assert client.delete("/v1/subjects/customer/nobody-1", headers=headers).json["known"] is False


def test_erasing_twice_is_harmless_and_replays_the_receipt(client, auth, record):
    record("customer", CUSTOMER, [("marketing", "granted", "api")])
    headers = auth("subjects:erase")
    first = client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=headers)
    second = client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json == first.json | {"repeated": True}
    assert client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=auth("consents:write")).status_code == 403


def test_the_erasure_webhook_names_the_subject_until_delivered_then_retention_forgets_it(client, auth, record, flask_cli):
    hook = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/erasure",
                                             "event_types": ["subject.erased"]}, headers=auth("admin"))
    assert hook.status_code == 201
    record("customer", CUSTOMER, [("marketing", "granted", "api")])
    client.delete(f"/v1/subjects/customer/{CUSTOMER}", headers=auth("subjects:erase"))
    assert _rows_holding(CUSTOMER) == ["webhook_events.payload"]  # receivers must learn whom to erase

    db.session.execute(update(WebhookDelivery).values(status="delivered"))
    db.session.commit()
    result = flask_cli("retention", "run")

    assert "forgot 1 erased identifiers" in result.output
    assert _rows_holding(CUSTOMER) == []
    assert db.session.scalars(select(WebhookDelivery)).one()  # the delivery record itself stays
