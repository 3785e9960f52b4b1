"""Consent-Revision and min_revision on checks, state reads and event histories without replicas (SQLite and
PostgreSQL): the primary answers and says so, a revision is validated, and a revision newer than any written
changes nothing."""
from __future__ import annotations

import pytest

STATE_PATH = "/v1/subjects/customer/c-1/consents"
HISTORY_PATH = "/v1/subjects/customer/c-1/consent-events"


def check_body(**extra) -> dict:
    return {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "DE", **extra}


def write(client, headers, decision: str) -> int:
    body = {"events": [{"purpose": "marketing", "decision": decision, "method": "api"}], "notice_version": "v1"}
    response = client.post("/v1/subjects/customer/c-1/consent-events", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["revision"]


def test_a_named_revision_is_answered_from_the_primary(client, full_access):
    revision = write(client, full_access, "withdrawn")
    for response in (
        client.post("/v1/checks", json=check_body(), headers={**full_access, "Consent-Revision": str(revision)}),
        client.post("/v1/checks", json=check_body(min_revision=revision), headers=full_access),
        client.post("/v1/checks", json={"checks": [check_body(min_revision=revision), check_body()]},
                    headers=full_access),
    ):
        assert response.status_code == 200, response.json
        assert response.headers["X-Consent-Read"] == "primary"
        answer = response.json["results"][0] if "results" in response.json else response.json
        assert answer["decisions"]["marketing"]["reason"] == "withdrawn"
    state = client.get(f"{STATE_PATH}?min_revision={revision}", headers=full_access)
    assert state.status_code == 200 and state.headers["X-Consent-Read"] == "primary"
    assert state.json["revision"] == revision
    for history in (
        client.get(HISTORY_PATH, headers={**full_access, "Consent-Revision": str(revision)}),
        client.get(f"{HISTORY_PATH}?min_revision={revision}", headers=full_access),
        client.get(HISTORY_PATH, headers=full_access),
    ):
        assert history.status_code == 200 and history.headers["X-Consent-Read"] == "primary", history.json
        assert [(event["revision"], event["decision"]) for event in history.json["events"]] == [(revision, "withdrawn")]


def test_the_history_of_an_unknown_subject_with_a_revision_is_empty(client, full_access):
    history = client.get("/v1/subjects/customer/nobody/consent-events?min_revision=3", headers=full_access)
    assert history.status_code == 200 and history.headers["X-Consent-Read"] == "primary"
    assert history.json == {"events": [], "next_cursor": None}


@pytest.mark.parametrize("header", ["-1", "1.5", "seven", "", "٣", str(2**63)])
def test_a_consent_revision_that_is_not_one_is_refused(client, full_access, header):
    for response in (
        client.post("/v1/checks", json=check_body(), headers={**full_access, "Consent-Revision": header}),
        client.get(STATE_PATH, headers={**full_access, "Consent-Revision": header}),
        client.get(HISTORY_PATH, headers={**full_access, "Consent-Revision": header}),
    ):
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_error"
        assert "Consent-Revision" in response.json["errors"]


@pytest.mark.parametrize("value", ["-1", "seven", "1.5", str(2**63)])
def test_a_min_revision_in_a_query_that_is_not_one_is_refused(client, full_access, value):
    for path in (STATE_PATH, HISTORY_PATH):
        response = client.get(f"{path}?min_revision={value}", headers=full_access)
        assert response.status_code == 422, response.json
        assert response.json["code"] == "validation_error" and "min_revision" in response.json["errors"], response.json


# 3.0 is an integer in JSON Schema 2020-12 (OpenAPI 3.1), and so is taken; 2.5 is not.
@pytest.mark.parametrize("value", [-1, "3", 2.5, True, None, 2**63])
def test_a_min_revision_that_is_not_one_is_refused(client, full_access, value):
    single = client.post("/v1/checks", json=check_body(min_revision=value), headers=full_access)
    assert single.status_code == 422 and "min_revision" in single.json["errors"], single.json
    batch = client.post("/v1/checks", json={"checks": [check_body(), check_body(min_revision=value)]},
                        headers=full_access)
    assert batch.status_code == 422 and "checks.1.min_revision" in batch.json["errors"], batch.json


def test_a_revision_beyond_any_written_answers_the_current_state(client, full_access):
    revision = write(client, full_access, "granted")
    response = client.post("/v1/checks", json=check_body(min_revision=revision + 10), headers=full_access)
    assert response.status_code == 200 and response.headers["X-Consent-Read"] == "primary"
    assert response.json["decisions"]["marketing"]["reason"] == "granted"
