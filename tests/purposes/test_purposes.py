"""The purpose catalogue: built-ins seeded by the migration, operators add their own."""
from __future__ import annotations

BUILT_INS = {
    "necessary", "preferences", "analytics", "advertising", "marketing", "service_notices",
    "recording", "cross_border_transfer", "automated_decisions",
}


def test_built_in_catalogue_is_seeded(client, auth):
    purposes = {p["key"]: p for p in client.get("/v1/purposes", headers=auth("admin")).json["purposes"]}
    assert set(purposes) == BUILT_INS
    assert purposes["service_notices"]["refusable"] is False
    assert purposes["recording"]["defaults"] == {"opt_in": "denied", "opt_out": "denied"}
    assert all(p["built_in"] for p in purposes.values())


def test_operator_purpose_is_usable_in_events_and_checks(client, auth):
    admin = auth("admin", "consents:write", "consents:read")
    client.post(
        "/v1/purposes",
        json={"key": "surveys", "name": "Surveys", "category": "communication", "defaults": {"opt_out": "granted"}},
        headers=admin,
    )
    check = {"subject": {"kind": "customer", "id": "c"}, "purposes": ["surveys"], "country": "US"}
    assert client.post("/v1/checks", json=check, headers=admin).json["decisions"]["surveys"]["reason"] == "default_opt_out"
    body = {"events": [{"purpose": "surveys", "decision": "denied", "method": "api"}], "notice_version": "v1"}
    assert client.post("/v1/subjects/customer/c/consent-events", json=body, headers=admin).status_code == 201
    assert client.post("/v1/checks", json=check, headers=admin).json["decisions"]["surveys"]["reason"] == "denied"


def test_unrefusable_purpose_is_granted_in_every_regime(client, auth):
    body = {"key": "billing_notices", "name": "Billing", "category": "communication", "refusable": False}
    denied = client.post("/v1/purposes", json=body | {"defaults": {"opt_in": "denied"}}, headers=auth("admin"))
    assert denied.status_code == 422
    assert "defaults" in denied.json["errors"]
    created = client.post("/v1/purposes", json=body, headers=auth("admin"))
    assert created.json["defaults"] == {"opt_in": "granted", "opt_out": "granted"}
