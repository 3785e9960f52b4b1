"""Helpers for the privacy request tests: the operator's key, decisions recorded through the API, a webhook
endpoint for every privacy request event, filing through the API."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.webhooks.models import WebhookEvent

PRIVACY_REQUEST_EVENTS = [
    "privacy_request.verification_requested", "privacy_request.verified", "privacy_request.extended",
    "privacy_request.completed", "privacy_request.refused", "subject.erased",
]


@pytest.fixture
def admin(auth) -> dict[str, str]:
    return auth("admin")


@pytest.fixture
def record(client, auth):
    """record("c-1", [("marketing", "granted", "api")]) -> the customer's decisions, through the API."""
    headers = auth("consents:write")

    def post(subject_id: str, events: list[tuple[str, str, str]], **body) -> dict:
        payload = {"events": [{"purpose": p, "decision": d, "method": m} for p, d, m in events],
                   "notice_version": "v1", **body}
        response = client.post(f"/v1/subjects/customer/{subject_id}/consent-events", json=payload, headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return post


@pytest.fixture
def hook(client, admin) -> None:
    """A webhook endpoint that receives every privacy request event (and subject.erased)."""
    made = client.post("/v1/webhooks", json={"url": "https://hooks.example.com/privacy",
                                             "event_types": PRIVACY_REQUEST_EVENTS}, headers=admin)
    assert made.status_code == 201, made.json


@pytest.fixture
def file(client, admin):
    """file(type="access", id="c-1", country="DE", **more) -> the response of POST /v1/privacy-requests."""

    def post(type: str = "access", id: str = "c-1", expect: int = 201, **more) -> dict:
        body = {"type": type, "subject": {"kind": "customer", "id": id}, "verified": True} | more
        response = client.post("/v1/privacy-requests", json=body, headers=admin)
        assert response.status_code == expect, response.json
        return response.json

    return post


def events_of(type: str) -> list[dict]:
    """The payloads of the webhook events of this type, oldest first."""
    rows = db.session.query(WebhookEvent).filter_by(type=type).order_by(WebhookEvent.sequence)
    return [row.payload["data"] for row in rows]


def decisions(client, auth, subject_id: str, *purposes: str, country: str = "DE") -> dict[str, dict]:
    check = {"subject": {"kind": "customer", "id": subject_id}, "purposes": list(purposes), "country": country}
    response = client.post("/v1/checks", json=check, headers=auth("consents:read"))
    assert response.status_code == 200, response.json
    return response.json["decisions"]
