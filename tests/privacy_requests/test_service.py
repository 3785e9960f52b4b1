"""The queue's reading (summary, pages), and the wire contracts: webhook events and receipts match their schemas."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import jwt
import pytest

from consent_service.extensions import db
from consent_service.privacy_requests import service as privacy_requests
from consent_service.runtime import runtime
from consent_service.webhooks.models import WebhookEvent

ROOT = Path(__file__).resolve().parents[2]
EVENT_SCHEMA = json.loads((ROOT / "schemas/webhook-event.schema.json").read_text())
RECEIPT_SCHEMA = json.loads((ROOT / "schemas/privacy-request-receipt.schema.json").read_text())


def test_the_summary_counts_open_overdue_due_soon_and_the_median_days_to_close(client, admin, file, clock):
    start = clock()
    file(type="access", id="a", country="BR", verified=False)  # due in 15 days
    file(type="access", id="b", country="DE", verified=False)  # due in a month
    quick = file(type="access", id="c", country="DE")  # closed at once
    clock.advance(days=4)
    slow = file(type="access", id="d", country="DE", verified=False)
    clock.advance(days=2)
    client.patch(f"/v1/privacy-requests/{slow['id']}", json={"action": "refuse", "reason": "Unfounded"}, headers=admin)
    clock.advance(days=4)  # day 10: "a" is due in 5 days

    summary = privacy_requests.queue_summary(session=db.session, rules=runtime().rules.privacy_requests, now=clock())

    assert summary == privacy_requests.QueueSummary(open=2, overdue=0, due_soon=1, closed=2, median_days_to_close=1.0)
    clock.advance(days=6)
    later = privacy_requests.queue_summary(
        session=db.session, rules=runtime().rules.privacy_requests, now=clock(), since=start + timedelta(days=1))
    assert (later.overdue, later.due_soon, later.closed, later.median_days_to_close) == (1, 0, 1, 2.0)
    assert quick["status"] == "completed"


def test_a_cursor_not_from_the_api_is_refused(client, admin):
    response = client.get("/v1/privacy-requests?cursor=bm90LWEtY3Vyc29y", headers=admin)

    assert response.status_code == 422 and response.json["code"] == "invalid_cursor"


def test_every_privacy_request_event_matches_the_webhook_schema(client, admin, file, hook, record):
    record("c-1", [("marketing", "granted", "api")])
    pending = file(type="access", id="c-1", country="DE", verified=False, contact="ana@example.com")
    client.patch(f"/v1/privacy-requests/{pending['id']}", json={"action": "extend", "reason": "Archives"},
                 headers=admin)
    client.patch(f"/v1/privacy-requests/{pending['id']}", json={"action": "refuse", "reason": "Unfounded"},
                 headers=admin)
    file(type="deletion", id="c-1", country="DE")

    payloads = [event.payload for event in db.session.query(WebhookEvent)]

    assert {p["type"] for p in payloads} >= {
        "privacy_request.verification_requested", "privacy_request.extended", "privacy_request.refused",
        "privacy_request.verified", "privacy_request.completed", "subject.erased"}
    for payload in payloads:
        jsonschema.validate(payload, EVENT_SCHEMA)


@pytest.mark.parametrize("kind", ["access", "deletion"])
def test_a_receipt_matches_its_schema(client, admin, file, kind):
    filed = file(type=kind, id="c-2", country="US", region="US-CA")
    token = client.get(f"/v1/privacy-requests/{filed['id']}/receipt", headers=admin).json["receipt"]

    jsonschema.validate(jwt.decode(token, options={"verify_signature": False}), RECEIPT_SCHEMA)
