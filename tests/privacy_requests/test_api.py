"""The operator's API through the test client: each endpoint, due dates by jurisdiction, and errors that store
nothing."""
from __future__ import annotations

import pytest

from consent_service.extensions import db
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep
from consent_service.webhooks.models import WebhookEvent

BODY = {"type": "access", "subject": {"kind": "customer", "id": "c-1"}, "country": "DE", "verified": False}


def stored() -> tuple[int, int, int]:
    return (db.session.query(PrivacyRequest).count(), db.session.query(PrivacyRequestStep).count(),
            db.session.query(WebhookEvent).count())


def test_a_us_ca_access_request_is_due_in_45_days_and_a_de_one_in_a_month(client, admin):
    california = client.post("/v1/privacy-requests", json=BODY | {"country": "US", "region": "US-CA"}, headers=admin)
    germany = client.post("/v1/privacy-requests", json=BODY, headers=admin)

    assert california.status_code == germany.status_code == 201
    assert california.json["received_at"] == "2026-01-15T09:30:00+00:00"
    assert california.json["due_at"] == "2026-03-01T09:30:00+00:00" and california.json["law"] == "ccpa"
    assert germany.json["due_at"] == "2026-02-15T09:30:00+00:00" and germany.json["law"] == "gdpr"
    assert california.json["status"] == germany.json["status"] == "unverified"
    assert california.json["id"].startswith("pr_") and california.json["channel"] == "api"


def test_the_queue_lists_by_due_date_filters_and_pages(client, admin, clock):
    late = client.post("/v1/privacy-requests", json=BODY | {"country": "US", "region": "US-CA"}, headers=admin).json
    soon = client.post("/v1/privacy-requests", json=BODY | {"country": "BR"}, headers=admin).json
    done = client.post("/v1/privacy-requests", json=BODY | {"verified": True}, headers=admin).json

    everything = client.get("/v1/privacy-requests", headers=admin).json
    assert [r["id"] for r in everything["requests"]] == [soon["id"], done["id"], late["id"]]
    assert everything["next_cursor"] is None
    unverified = client.get("/v1/privacy-requests?status=unverified", headers=admin).json["requests"]
    assert [r["id"] for r in unverified] == [soon["id"], late["id"]]
    before = client.get("/v1/privacy-requests", query_string={"due_before": "2026-02-01T00:00:00Z"}, headers=admin)
    assert [r["id"] for r in before.json["requests"]] == [soon["id"]]
    first = client.get("/v1/privacy-requests?limit=2", headers=admin).json
    second = client.get(f"/v1/privacy-requests?limit=2&cursor={first['next_cursor']}", headers=admin).json
    assert [r["id"] for r in first["requests"] + second["requests"]] == [soon["id"], done["id"], late["id"]]
    assert second["next_cursor"] is None


def test_one_request_shows_its_steps_systems_and_due_state(client, admin, clock):
    filed = client.post("/v1/privacy-requests", json=BODY | {"country": "BR"}, headers=admin).json

    shown = client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json
    assert shown["due_state"] == "on_time" and shown["systems"] == []
    assert [(s["action"], s["actor"]) for s in shown["steps"]] == [
        ("received", "operator:test"), ("verification_sent", "service")]
    clock.advance(days=9)  # 15 days under the LGPD: 6 left, within the rules' due_soon_days
    assert client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json["due_state"] == "due_soon"
    clock.advance(days=6)
    assert client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json["due_state"] == "overdue"


def test_an_opt_out_of_sale_needs_no_verification_and_takes_effect_at_once(client, admin, auth):
    response = client.post("/v1/privacy-requests", json=BODY | {
        "type": "opt_out_of_sale", "country": "US", "region": "US-CA"}, headers=admin)

    assert response.status_code == 201 and response.json["status"] == "completed"
    check = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["advertising"], "country": "US",
             "region": "US-CA"}
    assert client.post("/v1/checks", json=check, headers=auth("consents:read")).json["allowed"] is False


@pytest.mark.parametrize(("body", "field"), [
    (BODY | {"type": "everything"}, "type"),
    (BODY | {"subject": {"kind": "customer", "id": ""}}, "subject"),
    (BODY | {"country": "Germany"}, "country"),
    (BODY | {"country": "DE", "region": "US-CA"}, "region"),
    (BODY | {"region": "US-ZZ", "country": "US"}, "region"),
    (BODY | {"type": "objection"}, "details.objection"),
    (BODY | {"type": "correction", "details": {"correction": "x" * 2001}}, "details"),
    (BODY | {"details": {"objection": "direct_marketing"}}, "details.objection"),
    (BODY | {"contact": "not an address"}, "contact"),
    (BODY | {"property": "pk_nope"}, "property"),
    (BODY | {"agent": {"name": "A", "email": "a@example.com", "declaration": False}}, "agent.declaration"),
    ({k: v for k, v in BODY.items() if k != "verified"}, "verified"),
])
def test_an_invalid_request_is_422_naming_the_field_and_stores_nothing(client, admin, body, field):
    response = client.post("/v1/privacy-requests", json=body, headers=admin)

    assert response.status_code == 422, response.json
    assert any(key.startswith(field.split(".")[0]) for key in _fields(response.json["errors"])), response.json
    assert stored() == (0, 0, 0)


def _fields(errors: dict, prefix: str = "") -> list[str]:
    found = []
    for key, value in errors.items():
        path = f"{prefix}{key}"
        found.append(path)
        if isinstance(value, dict):
            found.extend(_fields(value, path + "."))
    return found


def test_email_mode_needs_a_contact_to_send_the_link_to(app_with, clock):
    app = app_with(smtp_url="smtp://127.0.0.1:2525", smtp_from="privacy@example.com")
    with app.app_context():
        from consent_service.apikeys import service as apikeys
        from tests import run_logs

        _, key = apikeys.create_key(session=db.session, name="ops", scopes=["admin"], now=clock())
        db.session.commit()
        run_logs.remember_secret("api_key", key)
        response = app.test_client().post("/v1/privacy-requests", json=BODY,
                                          headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 422 and "contact" in response.json["errors"]
        assert stored() == (0, 0, 0)
        db.session.remove()


def test_without_a_key_401_without_admin_403_and_nothing_stored(client, auth):
    assert client.post("/v1/privacy-requests", json=BODY).status_code == 401
    assert client.get("/v1/privacy-requests").status_code == 401
    assert client.post("/v1/privacy-requests", json=BODY, headers=auth("consents:write")).status_code == 403
    assert client.get("/v1/privacy-requests", headers=auth("consents:read")).status_code == 403
    assert stored() == (0, 0, 0)


def test_unknown_requests_and_systems_are_404(client, admin):
    filed = client.post("/v1/privacy-requests", json=BODY | {"verified": True}, headers=admin).json
    assert client.get("/v1/privacy-requests/pr_nope", headers=admin).status_code == 404
    assert client.get("/v1/privacy-requests/pr_nope/receipt", headers=admin).status_code == 404
    assert client.patch("/v1/privacy-requests/pr_nope", json={"action": "refuse", "reason": "r"},
                        headers=admin).status_code == 404
    assert client.post("/v1/privacy-requests/pr_nope/systems/crm", json={"status": "done"},
                       headers=admin).status_code == 404
    closed = client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm", json={"status": "done"}, headers=admin)
    assert closed.status_code == 409 and closed.json["code"] == "not_in_progress"


def test_an_unverified_or_closed_request_takes_no_report_and_a_closed_one_no_action(client, admin, app_with):
    filed = client.post("/v1/privacy-requests", json=BODY, headers=admin).json
    before = stored()
    bad_action = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "erase", "reason": "r"},
                              headers=admin)
    no_reason = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "refuse", "reason": ""},
                             headers=admin)
    long_reason = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "refuse", "reason": "r" * 1001},
                               headers=admin)
    bad_status = client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm", json={"status": "pending"},
                             headers=admin)

    unverified = client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm", json={"status": "done"},
                             headers=admin)

    assert bad_action.status_code == no_reason.status_code == long_reason.status_code == 422
    assert bad_status.status_code == 422
    assert unverified.status_code == 409 and unverified.json["code"] == "not_in_progress"
    assert stored() == before
    client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "refuse", "reason": "Not our customer"},
                 headers=admin)
    closed = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "refuse", "reason": "again"},
                          headers=admin)
    assert closed.status_code == 409 and closed.json["code"] == "request_closed"


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/v1/privacy-requests", "/v1/privacy-requests/{request_id}", "/v1/privacy-requests/{request_id}/receipt",
            "/v1/privacy-requests/{request_id}/systems/{name}"} <= set(paths)
    assert set(paths["/v1/privacy-requests/{request_id}"]) >= {"get", "patch"}
