"""Export lists everything held about a subject, in the documented JSON schema."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "subject-export.schema.json").read_text())
FIVE_PURPOSES = [
    ("marketing", "granted", "api"),
    ("analytics", "granted", "api"),
    ("recording", "granted", "verbal"),
    ("preferences", "denied", "api"),
    ("advertising", "denied", "api"),
]


def test_export_of_a_customer_round_trips_through_the_schema_and_lists_every_event(client, auth, record, clock):
    record("customer", "c-1", FIVE_PURPOSES, country="DE", actor={"type": "agent", "id": "agent-7"},
           evidence={"reference": "call-123"})
    clock.advance(minutes=5)
    record("customer", "c-1", [("marketing", "withdrawn", "preference_page")])
    client.post("/v1/subjects/customer/c-1/tokens", json={}, headers=auth("tokens:issue"))

    response = client.get("/v1/subjects/customer/c-1/export", headers=auth("subjects:export"))

    assert response.status_code == 200
    body = response.json
    jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert [e["revision"] for e in body["events"]] == [1, 2, 3, 4, 5, 6]
    assert {e["purpose"] for e in body["events"]} == {p for p, _, _ in FIVE_PURPOSES}
    assert body["events"][0]["evidence"] == {"reference": "call-123"}
    assert body["events"][1]["prev_hash"] == body["events"][0]["hash"]
    assert body["state"]["consents"]["marketing"]["decision"] == "withdrawn"
    assert body["subject"] == body["subject"] | {"kind": "customer", "id": "c-1", "country": "DE"}
    assert len(body["tokens"]) == 1 and body["tokens"][0]["issued_for"] == "service"
    assert body["restriction"] == {"restricted": False, "since": None}


def test_export_needs_its_scope_and_a_known_subject(client, auth, record):
    assert client.get("/v1/subjects/customer/c-1/export", headers=auth("consents:read")).status_code == 403
    assert client.get("/v1/subjects/customer/nobody/export", headers=auth("subjects:export")).status_code == 404
