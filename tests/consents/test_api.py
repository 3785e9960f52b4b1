"""The consent endpoints through the Flask test client, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db

EVENTS_URL = "/v1/subjects/customer/c-1/consent-events"


def record(client, headers, *events, **extra):
    body = {
        "events": [{"purpose": p, "decision": d, "method": m} for p, d, m in events],
        "notice_version": "2020-05-01",
        "country": "DE",
        **extra,
    }
    return client.post(EVENTS_URL, json=body, headers=headers)


def check(client, headers, *purposes, subject=("customer", "c-1"), country="DE"):
    body = {"subject": {"kind": subject[0], "id": subject[1]}, "purposes": list(purposes), "country": country}
    return client.post("/v1/checks", json=body, headers=headers)


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def test_grant_then_deny_recording_is_answered_and_kept_in_history(client, full_access, clock):
    response = record(
        client, full_access, ("recording", "granted", "verbal"),
        actor={"type": "agent", "id": "agent-42"}, evidence={"reference": "call-123"},
    )
    assert response.status_code == 201
    assert response.json["revision"] == 1
    assert response.json["consents"]["recording"]["decision"] == "granted"

    answer = check(client, full_access, "recording")
    assert answer.json == {"allowed": True, "decisions": {"recording": {
        "allowed": True, "reason": "granted", "basis": "consent", "rule": "event", "recording_consent": "one_party"}},
        "jurisdiction": "DE"}

    clock.advance(minutes=3)
    assert record(client, full_access, ("recording", "denied", "verbal")).status_code == 201
    answer = check(client, full_access, "recording")
    assert answer.json == {"allowed": False, "decisions": {"recording": {
        "allowed": False, "reason": "denied", "basis": None, "rule": "event", "recording_consent": "one_party"}},
        "jurisdiction": "DE"}

    history = client.get(EVENTS_URL, headers=full_access).json
    assert [(e["decision"], e["method"], e["notice_version"]) for e in history["events"]] == [
        ("denied", "verbal", "2020-05-01"),
        ("granted", "verbal", "2020-05-01"),
    ]
    first = history["events"][1]
    assert first["actor"] == {"type": "agent", "id": "agent-42"}
    assert first["evidence"] == {"reference": "call-123"}
    assert first["recorded_at"] == "2026-01-15T09:30:00+00:00"
    assert history["events"][0]["recorded_at"] == "2026-01-15T09:33:00+00:00"
    assert history["next_cursor"] is None


def test_state_lists_every_purpose_with_defaults_for_unknown_subject(client, full_access):
    state = client.get("/v1/subjects/customer/nobody/consents?country=DE", headers=full_access).json
    assert state["revision"] == 0
    assert state["subject"] == {"kind": "customer", "id": "nobody"}
    assert state["consents"]["analytics"] == {
        "decision": "denied", "allowed": False, "reason": "opt_in_required", "source": "default",
        "method": None, "notice_version": None, "updated_at": None, "reconsent_required": False,
        "basis": None, "rule": "catalogue.defaults",
    }
    assert state["consents"]["necessary"]["allowed"] is True
    us = client.get("/v1/subjects/customer/nobody/consents?country=US", headers=full_access).json
    assert us["regime"] == "opt_out"
    assert us["consents"]["analytics"]["reason"] == "default_opt_out"
    assert us["consents"]["recording"]["allowed"] is False


def test_state_after_events_says_source_method_and_time(client, full_access):
    record(client, full_access, ("marketing", "granted", "written"), ("analytics", "denied", "api"))
    state = client.get("/v1/subjects/customer/c-1/consents", headers=full_access).json
    assert state["revision"] == 2
    assert state["regime"] == "opt_in"
    assert state["consents"]["marketing"]["source"] == "event"
    assert state["consents"]["marketing"]["method"] == "written"
    assert state["consents"]["analytics"]["decision"] == "denied"
    assert state["consents"]["preferences"]["source"] == "default"


def test_one_invalid_event_writes_nothing(client, full_access):
    response = record(client, full_access, ("recording", "granted", "verbal"), ("telepathy", "granted", "verbal"))
    assert response.status_code == 422
    assert response.json["code"] == "unknown_purpose"
    assert response.json["errors"] == {"events.1.purpose": ["Unknown purpose 'telepathy'."]}
    bad_method = record(client, full_access, ("recording", "granted", "verbal"), ("marketing", "granted", "smoke"))
    assert bad_method.status_code == 422
    assert "events.1.method" in bad_method.json["errors"]
    assert event_count() == 0
    assert client.get("/v1/subjects/customer/c-1/consents", headers=full_access).json["revision"] == 0


def test_necessary_and_service_notices_cannot_be_refused(client, full_access):
    response = record(client, full_access, ("marketing", "denied", "api"), ("service_notices", "denied", "api"))
    assert response.status_code == 422
    assert response.json["code"] == "not_refusable"
    assert list(response.json["errors"]) == ["events.1.decision"]
    assert event_count() == 0
    answer = check(client, full_access, "service_notices")
    assert answer.json["decisions"]["service_notices"] == {
        "allowed": True, "reason": "not_refusable", "basis": "contract", "rule": "catalogue.refusable"}


def test_idempotency_key_replays_the_first_answer_and_writes_once(client, full_access, clock):
    headers = full_access | {"Idempotency-Key": "req-1"}
    first = record(client, headers, ("marketing", "granted", "api"))
    clock.advance(seconds=30)
    again = record(client, headers, ("marketing", "granted", "api"))
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert event_count() == 1

    different = record(client, headers, ("marketing", "denied", "api"))
    assert different.status_code == 409
    assert different.json["code"] == "idempotency_key_reused"
    assert event_count() == 1

    other_key = record(client, full_access | {"Idempotency-Key": "req-2"}, ("marketing", "granted", "api"))
    assert other_key.status_code == 201
    assert other_key.json["revision"] == 2


def test_history_is_cursor_paginated_newest_first_and_filterable(client, full_access):
    for decision in ("granted", "denied", "granted", "withdrawn", "granted"):
        record(client, full_access, ("marketing", decision, "api"), ("analytics", "granted", "api"))
    page = client.get(f"{EVENTS_URL}?purpose=marketing&limit=2", headers=full_access).json
    revisions = [e["revision"] for e in page["events"]]
    assert revisions == [9, 7]
    seen = list(revisions)
    while page["next_cursor"]:
        page = client.get(f"{EVENTS_URL}?purpose=marketing&limit=2&cursor={page['next_cursor']}", headers=full_access).json
        seen += [e["revision"] for e in page["events"]]
    assert seen == [9, 7, 5, 3, 1]
    bad = client.get(f"{EVENTS_URL}?cursor=nonsense", headers=full_access)
    assert bad.status_code == 422 and bad.json["code"] == "invalid_cursor"


def test_batch_checks_answer_in_order(client, full_access):
    record(client, full_access, ("marketing", "granted", "api"))
    body = {"checks": [
        {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "DE"},
        {"subject": {"kind": "customer", "id": "c-2"}, "purposes": ["marketing", "analytics"], "country": "US"},
        {"subject": {"kind": "visitor", "id": "v-1"}, "purposes": ["analytics"], "country": "FR"},
    ]}
    results = client.post("/v1/checks", json=body, headers=full_access).json["results"]
    assert [r["allowed"] for r in results] == [True, True, False]
    assert results[1]["decisions"]["analytics"]["reason"] == "default_opt_out"
    assert results[2]["decisions"]["analytics"]["reason"] == "opt_in_required"
    too_many = {"checks": body["checks"] * 34}
    assert client.post("/v1/checks", json=too_many, headers=full_access).status_code == 422


def test_check_needs_one_form(client, full_access):
    both = {"subject": {"kind": "customer", "id": "c"}, "purposes": ["marketing"], "checks": []}
    assert client.post("/v1/checks", json=both, headers=full_access).status_code == 422
    neither = client.post("/v1/checks", json={"country": "DE"}, headers=full_access)
    assert neither.status_code == 422
    assert set(neither.json["errors"]) == {"subject", "purposes"}


def test_validation_names_fields_and_rejects_unknown_ones(client, full_access):
    response = client.post(
        EVENTS_URL,
        json={"events": [], "notice_version": "", "country": "Germany", "revision": 99},
        headers=full_access,
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert {"events", "notice_version", "country", "revision"} <= set(response.json["errors"])


def test_evidence_is_minimized_before_it_is_stored(client, full_access):
    record(
        client, full_access, ("recording", "granted", "verbal"),
        evidence={"reference": "call-9", "ip": "203.0.113.77",
                  "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
    )
    stored = client.get(EVENTS_URL, headers=full_access).json["events"][0]["evidence"]
    assert stored == {"reference": "call-9", "ip_network": "203.0.113.0/24", "user_agent_family": "Firefox 128"}


def test_unknown_subject_kind_is_not_found(client, full_access):
    response = client.get("/v1/subjects/robot/r-1/consents", headers=full_access)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_check_errors_name_the_fields_of_the_single_check_or_of_the_batch(client, full_access):
    def errors(body: dict) -> tuple:
        response = client.post("/v1/checks", json=body, headers=full_access)
        return response.status_code, response.json["code"], response.json["errors"]

    customer = {"kind": "customer", "id": "c-1"}
    assert errors({"subject": customer, "purposes": ["marketing", "telepathy"]}) == (
        422, "unknown_purpose", {"purposes.1": ["Unknown purpose 'telepathy'."]})
    assert errors({"checks": [{"subject": customer, "purposes": ["marketing"]},
                              {"subject": customer, "purposes": ["telepathy", "analytics", "mind_reading"]}]}) == (
        422, "unknown_purpose", {"checks.1.purposes.0": ["Unknown purpose 'telepathy'."],
                                 "checks.1.purposes.2": ["Unknown purpose 'mind_reading'."]})
    assert errors({"subject": customer, "purposes": ["cross_border_transfer"]}) == (
        422, "validation_error", {"destination_country": ["Required to check a transfer."]})
    assert errors({"checks": [{"subject": customer, "purposes": ["marketing"]},
                              {"subject": customer, "purposes": ["cross_border_transfer"]}]}) == (
        422, "validation_error", {"checks.1.destination_country": ["Required to check a transfer."]})
