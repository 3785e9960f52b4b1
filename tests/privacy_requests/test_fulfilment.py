"""What a verified request does to what the service holds, per type, and the webhook that tells the systems."""
from __future__ import annotations

from consent_service.extensions import db
from consent_service.privacy_requests import service as privacy_requests
from consent_service.subjects.models import Subject
from tests.privacy_requests.conftest import decisions, events_of


def test_a_deletion_erases_the_subject_announces_it_and_completes(client, auth, record, file, hook):
    record("c-del", [("marketing", "granted", "api")])

    filed = file(type="deletion", id="c-del", country="DE")

    assert filed["status"] == "completed"
    assert decisions(client, auth, "c-del", "marketing")["marketing"]["reason"] == "suppressed"
    assert events_of("subject.erased")[0]["subject"] == {"kind": "customer", "id": "c-del"}
    verified = events_of("privacy_request.verified")[0]
    assert verified["type"] == "deletion" and verified["subject"]["id"] == "c-del" and verified["systems"] == []
    request = privacy_requests.get(session=db.session, request_id=filed["id"])
    assert request.subject_id.startswith("erased.") and request.contact is None
    steps = privacy_requests.steps_of(session=db.session, request_id=filed["id"])
    assert [step.action for step in steps] == ["received", "verified", "own_part_done", "completed", "outcome_sent"]
    assert steps[2].details["erased"] is True and steps[2].details["receipt"].startswith("era_")
    assert steps[2].details["known"] is True
    assert all("c-del" not in str(step.details) for step in steps)


def test_a_deletion_of_an_identifier_never_recorded_suppresses_it_without_a_subject_erased_event(
    client, auth, file, hook
):
    filed = file(type="deletion", id="c-never", country="DE")

    assert filed["status"] == "completed"
    assert decisions(client, auth, "c-never", "marketing")["marketing"]["reason"] == "suppressed"
    assert events_of("subject.erased") == []  # nothing here was ever told to receivers about it
    # The operator's own systems still learn of the request: they may hold what this service never saw.
    assert events_of("privacy_request.verified")[0]["subject"]["id"] == "c-never"
    steps = privacy_requests.steps_of(session=db.session, request_id=filed["id"])
    own_part = next(step for step in steps if step.action == "own_part_done")
    assert own_part.details["erased"] is True and own_part.details["known"] is False


def test_a_restriction_restricts_processing(client, auth, record, file):
    record("c-res", [("analytics", "granted", "api")])

    file(type="restriction", id="c-res", country="DE")

    assert decisions(client, auth, "c-res", "analytics")["analytics"]["reason"] == "restricted"


def test_an_objection_to_direct_marketing_denies_marketing_by_this_flow(client, auth, record, file):
    record("c-obj", [("marketing", "granted", "api")])

    file(type="objection", id="c-obj", country="DE", details={"objection": "direct_marketing"})

    answer = decisions(client, auth, "c-obj", "marketing")["marketing"]
    assert answer["allowed"] is False and answer["reason"] == "denied"
    events = client.get("/v1/subjects/customer/c-obj/consent-events", headers=auth("consents:read")).json["events"]
    assert events[0]["method"] == "privacy_request" and events[0]["purpose"] == "marketing"


def test_an_objection_to_automated_decisions_denies_that_purpose(client, auth, file):
    file(type="objection", id="c-auto", country="US", region="US-CO", details={"objection": "automated_decisions"})

    events = client.get("/v1/subjects/customer/c-auto/consent-events", headers=auth("consents:read")).json["events"]
    assert [(e["purpose"], e["decision"], e["method"]) for e in events] == [
        ("automated_decisions", "denied", "privacy_request")]


def test_an_opt_out_of_sale_denies_what_gpc_opts_out_of_at_once_without_verification(client, auth, record, admin):
    record("c-sale", [("advertising", "granted", "api")], country="US")

    response = client.post("/v1/privacy-requests", json={
        "type": "opt_out_of_sale", "subject": {"kind": "customer", "id": "c-sale"}, "country": "US",
        "region": "US-CA", "verified": False}, headers=admin)

    assert response.status_code == 201, response.json
    assert response.json["status"] == "completed" and response.json["verification"] == "not_required"
    assert decisions(client, auth, "c-sale", "advertising", country="US")["advertising"]["allowed"] is False


def test_a_withdrawal_withdraws_every_refusable_grant_and_nothing_else(client, auth, record, file):
    record("c-wd", [("marketing", "granted", "api"), ("analytics", "granted", "api"), ("advertising", "denied", "api")])

    file(type="withdrawal", id="c-wd", country="DE")

    events = client.get("/v1/subjects/customer/c-wd/consent-events", headers=auth("consents:read")).json["events"]
    withdrawn = sorted(e["purpose"] for e in events if e["decision"] == "withdrawn")
    assert withdrawn == ["analytics", "marketing"]
    assert all(e["method"] == "privacy_request" for e in events if e["decision"] == "withdrawn")


def test_an_access_request_runs_nothing_and_a_correction_only_tells_the_systems(record, file, hook):
    record("c-acc", [("marketing", "granted", "api")])
    before = db.session.query(Subject).filter_by(external_id="c-acc").one().revision

    access = file(type="access", id="c-acc", country="DE")
    correction = file(type="correction", id="c-acc", country="DE", details={"correction": "My name is Ana, not Anna."})

    assert db.session.query(Subject).filter_by(external_id="c-acc").one().revision == before
    assert access["status"] == correction["status"] == "completed"
    told = events_of("privacy_request.verified")
    assert told[1]["details"] == {"correction": "My name is Ana, not Anna."}


def test_an_objection_after_a_deletion_is_recorded_on_the_identifier_seen_again_and_stays_suppressed(
        client, auth, record, file):
    record("c-gone", [("marketing", "granted", "api")])
    file(type="deletion", id="c-gone", country="DE")

    objection = file(type="objection", id="c-gone", country="DE", details={"objection": "direct_marketing"})

    assert objection["status"] == "completed"
    assert decisions(client, auth, "c-gone", "marketing")["marketing"]["allowed"] is False
