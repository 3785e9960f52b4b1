"""A request's life: unverified (never runs), verified by its link, systems reporting back, extension, refusal;
closed requests keep nothing personal; the receipt verifies with the JWKS; retention forgets deletions' identifiers."""
from __future__ import annotations

from datetime import datetime

import jwt
import pytest
from jwt.algorithms import OKPAlgorithm

from consent_service.apikeys import service as apikeys
from consent_service.extensions import db
from consent_service.flows.verify_privacy_request import RequestRefused, verify_privacy_request
from consent_service.preferences.links import LinkKind
from consent_service.privacy_requests import service as privacy_requests
from consent_service.rights.erasure import erased_id
from consent_service.runtime import app_signer, runtime
from consent_service.webhooks import service as webhooks
from consent_service.webhooks.models import WebhookDelivery, WebhookEvent
from tests import run_logs
from tests.privacy_requests.conftest import decisions, events_of


def verify(request_id: str, now: datetime):
    settings = runtime().settings
    return verify_privacy_request(
        session=db.session, rules=runtime().rules, settings=settings, signer=app_signer(),
        base_url=settings.token_issuer, request_id=request_id, pepper=settings.erasure_pepper, now=now)


def actions(request_id: str) -> list[str]:
    return [step.action for step in privacy_requests.steps_of(session=db.session, request_id=request_id)]


def test_an_unverified_request_never_runs_until_its_link_is_confirmed(client, auth, record, file, hook, clock):
    record("c-1", [("marketing", "granted", "api")])

    filed = file(type="deletion", id="c-1", country="DE", verified=False, contact="ana@example.com")

    assert filed["status"] == "unverified" and filed["verification"] == "webhook"
    assert decisions(client, auth, "c-1", "marketing")["marketing"]["allowed"] is True
    assert events_of("privacy_request.verified") == [] and events_of("subject.erased") == []
    sent = events_of("privacy_request.verification_requested")[0]
    assert sent["contact"] == "ana@example.com" and sent["subject"] == {"kind": "customer", "id": "c-1"}
    token = sent["url"].rsplit("/", 1)[1]
    assert app_signer().verify(LinkKind.PRIVACY_REQUEST_VERIFY, token) == {"r": filed["id"], "l": "en"}
    assert sent["expires_at"] == "2026-01-16T09:30:00Z"

    verified = verify(filed["id"], clock.advance(hours=2))

    assert verified.status == "completed" and verified.verified_at == clock()
    assert decisions(client, auth, "c-1", "marketing")["marketing"]["reason"] == "suppressed"
    assert actions(filed["id"]) == [
        "received", "verification_sent", "verified", "own_part_done", "completed", "outcome_sent"]
    outcome = events_of("privacy_request.completed")[0]
    assert outcome["status"] == "completed" and outcome["contact"] == "ana@example.com"
    assert outcome["status_url"].startswith(runtime().settings.token_issuer + "/privacy-requests/status/")
    # Verifying again changes nothing.
    assert verify(filed["id"], clock.advance(hours=1)).status == "completed"
    assert actions(filed["id"]).count("verified") == 1


def test_systems_report_back_and_the_last_done_completes(app_with, clock):
    app = app_with(privacy_request_systems=("crm", "billing"))
    with app.app_context():
        client = app.test_client()
        _, key = apikeys.create_key(session=db.session, name="ops", scopes=["admin"], now=clock())
        db.session.commit()
        run_logs.remember_secret("api_key", key)
        admin = {"Authorization": f"Bearer {key}"}
        filed = client.post("/v1/privacy-requests", json={
            "type": "correction", "subject": {"kind": "customer", "id": "c-2"}, "country": "GB", "verified": True,
            "details": {"correction": "New surname: Smith"}}, headers=admin).json
        assert filed["status"] == "in_progress"
        shown = client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json
        assert [(s["name"], s["status"]) for s in shown["systems"]] == [("billing", "pending"), ("crm", "pending")]

        unknown = client.post(f"/v1/privacy-requests/{filed['id']}/systems/newsletter", json={"status": "done"},
                              headers=admin)
        assert unknown.status_code == 404
        failed = client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm",
                             json={"status": "failed", "detail": "locked record"}, headers=admin)
        assert failed.status_code == 200 and failed.json["status"] == "in_progress"
        client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm", json={"status": "done"}, headers=admin)
        assert client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json["status"] == "in_progress"
        done = client.post(f"/v1/privacy-requests/{filed['id']}/systems/billing", json={"status": "done"},
                           headers=admin)

        assert done.status_code == 200 and done.json["status"] == "completed"
        reported = [s for s in done.json["steps"] if s["action"] == "system_reported"]
        assert [(s["actor"], s["details"]["status"]) for s in reported] == [
            ("system:crm", "failed"), ("system:crm", "done"), ("system:billing", "done")]
        closed = client.post(f"/v1/privacy-requests/{filed['id']}/systems/crm", json={"status": "done"},
                             headers=admin)
        assert closed.status_code == 409
        db.session.remove()


def test_an_extension_moves_the_date_once_and_records_its_reason(client, admin, file, hook):
    filed = file(type="access", id="c-3", country="DE", verified=False)
    assert filed["due_at"] == "2026-02-15T09:30:00+00:00"

    extended = client.patch(f"/v1/privacy-requests/{filed['id']}",
                            json={"action": "extend", "reason": "Records in three archives"}, headers=admin)

    assert extended.status_code == 200, extended.json
    assert extended.json["due_at"] == "2026-04-15T09:30:00+00:00" and extended.json["extended"] is True
    step = extended.json["steps"][-1]
    assert step["action"] == "extended" and step["details"] == {
        "reason": "Records in three archives", "from": "2026-02-15T09:30:00+00:00", "to": "2026-04-15T09:30:00+00:00"}
    assert events_of("privacy_request.extended")[0]["reason"] == "Records in three archives"
    again = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "extend", "reason": "more"},
                         headers=admin)
    assert again.status_code == 409 and again.json["code"] == "already_extended"
    assert client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json["due_at"] == extended.json["due_at"]


def test_a_law_without_extension_refuses_one(client, admin, file):
    filed = file(type="access", id="c-4", country="BR", verified=False)

    response = client.patch(f"/v1/privacy-requests/{filed['id']}", json={"action": "extend", "reason": "busy"},
                            headers=admin)

    assert response.status_code == 409 and response.json["code"] == "no_extension"


def test_a_refused_request_is_closed_with_its_reason_and_never_runs(client, auth, admin, record, file, hook, clock):
    record("c-5", [("marketing", "granted", "api")])
    filed = file(type="deletion", id="c-5", country="DE", verified=False, contact="bo@example.com")

    refused = client.patch(f"/v1/privacy-requests/{filed['id']}",
                           json={"action": "refuse", "reason": "Art. 17(3)(b): records kept by law"}, headers=admin)

    assert refused.status_code == 200
    assert refused.json["status"] == "refused" and refused.json["outcome"] == "Art. 17(3)(b): records kept by law"
    assert events_of("privacy_request.refused")[0]["reason"] == "Art. 17(3)(b): records kept by law"
    with pytest.raises(RequestRefused):
        verify(filed["id"], clock.advance(minutes=5))
    db.session.rollback()
    assert decisions(client, auth, "c-5", "marketing")["marketing"]["allowed"] is True
    request = privacy_requests.get(session=db.session, request_id=filed["id"])
    assert request.contact is None and request.subject_id.startswith("erased.")
    for action in ({"action": "refuse", "reason": "again"}, {"action": "extend", "reason": "late"}):
        again = client.patch(f"/v1/privacy-requests/{filed['id']}", json=action, headers=admin)
        assert again.status_code == 409 and again.json["code"] == "request_closed"


def test_a_closed_deletion_keeps_only_pseudonyms(client, admin, record, file):
    record("c-6", [("marketing", "granted", "api")])
    filed = file(type="deletion", id="c-6", country="DE", contact="cy@example.com",
                 agent={"name": "Agency", "email": "agent@example.com", "declaration": True})

    shown = client.get(f"/v1/privacy-requests/{filed['id']}", headers=admin).json

    assert shown["subject"]["id"].startswith("erased.")
    request = privacy_requests.get(session=db.session, request_id=filed["id"])
    assert request.contact is None and request.agent == {"name": "Agency", "declaration": True}
    flattened = str(shown) + str(request.details)
    assert "c-6" not in flattened and "cy@example.com" not in flattened and "agent@example.com" not in flattened


def test_the_receipt_verifies_with_the_jwks_and_names_what_was_done(client, admin, record, file):
    record("c-7", [("marketing", "granted", "api")])
    filed = file(type="deletion", id="c-7", country="DE")

    response = client.get(f"/v1/privacy-requests/{filed['id']}/receipt", headers=admin)

    assert response.status_code == 200
    token = response.json["receipt"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "privacy-request-receipt+jwt" and header["alg"] == "EdDSA"
    jwks = client.get("/.well-known/jwks.json").json
    key = OKPAlgorithm.from_jwk(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims["jti"] == f"prr_{filed['id']}" and claims["request"] == filed["id"]
    assert claims["type"] == "deletion" and claims["law"] == "gdpr" and claims["status"] == "completed"
    assert claims["subject"]["id"].startswith("erased.") and "c-7" not in token
    assert [a["action"] for a in claims["actions"]] == [
        "received", "verified", "own_part_done", "completed"]
    assert claims["received_at"] == claims["closed_at"] == 1768469400


def test_retention_forgets_the_identifier_of_a_delivered_deletion_event(client, record, file, hook, clock):
    record("c-8", [("marketing", "granted", "api")])
    file(type="deletion", id="c-8", country="DE")
    file(type="access", id="c-9", country="DE")
    db.session.query(WebhookDelivery).update({"status": "delivered"})
    db.session.commit()

    pepper = runtime().settings.erasure_pepper
    forgotten = webhooks.forget_erased_subjects(
        session=db.session, pseudonymize=lambda kind, id: erased_id(pepper=pepper, kind=kind, external_id=id))
    db.session.commit()

    assert forgotten == 2  # subject.erased and the deletion's privacy_request.verified

    told = {e.payload["data"]["subject"]["id"] for e in db.session.query(WebhookEvent).filter_by(
        type="privacy_request.verified")}
    assert "c-8" not in told and "c-9" in told
    assert any(subject.startswith("erased.") for subject in told)
