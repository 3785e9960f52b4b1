"""/metrics: Prometheus text with requests per route, events written, check reasons and refused tokens."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.hardening.conftest import ORIGIN


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_events_checks_and_refused_tokens_are_counted(client, auth, prop):
    headers = auth("consents:read", "consents:write")
    recorded = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "marketing", "decision": "granted", "method": "written"},
                   {"purpose": "analytics", "decision": "denied", "method": "written"}],
        "notice_version": "2026-01-01", "country": "DE"})
    assert recorded.status_code == 201
    refused = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "no-such-purpose", "decision": "granted", "method": "written"}],
        "notice_version": "2026-01-01", "country": "DE"})
    assert refused.status_code >= 400  # rolled back: not counted as written
    checked = client.post("/v1/checks", headers=headers, json={
        "subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing", "analytics"], "country": "DE"})
    assert checked.status_code == 200
    config = client.get(f"/v1/banner/{prop.publishable_key}", headers={"Origin": ORIGIN}).json
    client.post(f"/v1/banner/{prop.publishable_key}/consents", json={
        "choices": {"analytics": True}, "method": "banner_custom", "notice_version": config["notice"]["version"],
        "banner_version": config["banner_version"], "token": "not.a.token"})

    found = samples(client)
    assert value(found, "consent_events_written_total", purpose="marketing", decision="granted") == 1
    assert value(found, "consent_events_written_total", purpose="analytics", decision="denied") == 1
    assert value(found, "consent_check_answers_total", reason="granted") == 1
    assert value(found, "consent_check_answers_total", reason="denied") == 1
    assert sum(v for (name, _), v in found.items() if name == "token_verifications_failed_total") == 1
    assert value(found, "http_requests_total", method="POST", route="/v1/checks", status="200") == 1
    assert value(found, "http_request_duration_seconds_count", method="POST", route="/v1/checks") == 1
