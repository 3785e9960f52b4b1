"""While restricted, checks refuse every purpose but necessary and service notices."""
from __future__ import annotations


def _check(client, auth, purposes: list[str]) -> dict:
    body = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": purposes, "country": "US"}
    return client.post("/v1/checks", json=body, headers=auth("consents:read")).json


def test_restriction_refuses_all_but_necessary_and_service_notices_until_lifted(client, auth, record, clock):
    record("customer", "c-1", [("marketing", "granted", "api"), ("recording", "granted", "verbal")])
    purposes = ["marketing", "recording", "analytics", "necessary", "service_notices"]

    response = client.post("/v1/subjects/customer/c-1/restriction", json={"restricted": True}, headers=auth("consents:write"))

    assert response.status_code == 200
    assert response.json["restricted"] is True and response.json["since"].startswith("2026-01-15T09:30")
    decisions = _check(client, auth, purposes)["decisions"]
    assert {k: (d["allowed"], d["reason"]) for k, d in decisions.items()} == {
        "marketing": (False, "restricted"),
        "recording": (False, "restricted"),
        "analytics": (False, "restricted"),
        "necessary": (True, "not_refusable"),
        "service_notices": (True, "not_refusable"),
    }
    state = client.get("/v1/subjects/customer/c-1/consents", headers=auth("consents:read")).json
    assert state["consents"]["marketing"]["reason"] == "restricted"

    client.post("/v1/subjects/customer/c-1/restriction", json={"restricted": False}, headers=auth("consents:write"))
    assert _check(client, auth, purposes)["decisions"]["marketing"]["reason"] == "granted"


def test_restriction_needs_the_write_scope_and_a_boolean(client, auth):
    url = "/v1/subjects/customer/c-1/restriction"
    assert client.post(url, json={"restricted": True}, headers=auth("consents:read")).status_code == 403
    assert client.post(url, json={"restricted": "maybe"}, headers=auth("consents:write")).status_code == 422
