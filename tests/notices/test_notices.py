"""Notice versions: a material change asks again without touching the ledger."""
from __future__ import annotations

from sqlalchemy import select

from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.properties import service as properties

MARKETING = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "DE"}


def ledger() -> list[tuple]:
    db.session.expire_all()
    return [(e.id, e.revision, e.purpose, e.decision, e.method, e.notice_version, e.recorded_at)
            for e in db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))]


def publish(client, headers, material: bool, version: str, purposes=("marketing",), **extra):
    body = {"kind": "privacy", "version": version, "material": material, "purposes": list(purposes),
            "url": f"https://example.com/privacy/{version}", **extra}
    response = client.post("/v1/notices", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_material_notice_flips_opt_in_consents_to_reconsent_without_touching_events(client, auth, clock):
    headers = auth("consents:read", "consents:write", "admin")
    for customer in ("c-1", "c-2"):
        body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "written"}],
                "notice_version": "2026-01-01", "country": "DE"}
        client.post(f"/v1/subjects/customer/{customer}/consent-events", json=body, headers=headers)
    before = ledger()
    clock.advance(days=1)

    minor_change = publish(client, headers, material=False, version="2026-01-15")
    assert minor_change["awaiting_reconsent"] == 0
    assert client.post("/v1/checks", json=MARKETING, headers=headers).json["allowed"] is True

    clock.advance(days=1)
    material = publish(client, headers, material=True, version="2026-02-01")
    assert material["awaiting_reconsent"] == 2
    assert client.post("/v1/checks", json=MARKETING, headers=headers).json["decisions"]["marketing"] == {
        "allowed": False, "reason": "reconsent_required", "basis": None, "rule": "notices.material"}
    state = client.get("/v1/subjects/customer/c-1/consents", headers=headers).json["consents"]["marketing"]
    assert state["reconsent_required"] is True and state["allowed"] is False and state["decision"] == "granted"
    assert ledger() == before  # nothing written, nothing altered

    listed = client.get("/v1/notices", headers=headers).json["notices"]
    assert [n["version"] for n in listed] == ["2026-02-01", "2026-01-15"]
    assert client.post("/v1/notices", json={"kind": "privacy", "version": "2026-02-01", "material": True,
                                            "purposes": [], "url": "https://example.com/p"}, headers=headers).status_code == 409


def test_a_cookie_notice_of_a_property_is_what_its_banner_shows(client, auth, clock):
    headers = auth("admin")
    prop = properties.create_property(session=db.session, name="Shop", allowed_origins=["https://shop.example"],
                                      notice_version="1", notice_url="https://shop.example/cookies/1", now=clock())
    db.session.commit()
    banner = f"/v1/banner/{prop.publishable_key}"
    publish(client, headers, material=False, version="1.1", purposes=["analytics"], kind="cookie",
            property=prop.publishable_key, url="https://shop.example/cookies/1.1")
    assert client.get(banner).json["notice"] == {"version": "1", "url": "https://shop.example/cookies/1.1"}
    publish(client, headers, material=True, version="2", purposes=["analytics"], kind="cookie",
            property=prop.publishable_key, url="https://shop.example/cookies/2")
    assert client.get(banner).json["notice"] == {"version": "2", "url": "https://shop.example/cookies/2"}


def test_notices_are_admin_only_and_validated(client, auth):
    body = {"kind": "privacy", "version": "1", "material": True, "purposes": ["telepathy"], "url": "https://e.com/p"}
    assert client.post("/v1/notices", json=body, headers=auth("consents:write")).status_code == 403
    bad = client.post("/v1/notices", json=body | {"kind": "memo"}, headers=auth("admin"))
    assert bad.status_code == 422 and "kind" in bad.json["errors"]
    # The document's pattern is the validator's: an http(s) URL with a host; a fragment is fine on a page.
    for url in ("ftp://e.com/p", "https://user:pw@e.com/p", "e.com/p", "https:///p"):
        refused = client.post("/v1/notices", json=body | {"purposes": [], "url": url}, headers=auth("admin"))
        assert refused.status_code == 422 and "url" in refused.json["errors"], url
    fragment = client.post("/v1/notices", json=body | {"purposes": [], "url": "https://e.com/p#cookies"},
                           headers=auth("admin"))
    assert fragment.status_code == 201, fragment.json
    unknown = client.post("/v1/notices", json=body, headers=auth("admin"))
    assert unknown.status_code == 422 and unknown.json["code"] == "unknown_purpose"
    missing_property = client.post("/v1/notices", json=body | {"purposes": [], "property": "pk_nope"}, headers=auth("admin"))
    assert missing_property.status_code == 404


def test_publishing_a_notice_is_announced_to_webhooks(client, auth):
    import json
    from pathlib import Path

    import jsonschema

    from consent_service.webhooks.models import WebhookEvent

    headers = auth("admin")
    endpoint = {"url": "http://127.0.0.1:9/hooks", "event_types": ["notice.published"]}
    assert client.post("/v1/webhooks", json=endpoint, headers=headers).status_code == 201
    publish(client, headers, material=True, version="2026-03-01")
    event = db.session.scalars(select(WebhookEvent)).one()
    assert event.type == "notice.published"
    assert event.payload["data"]["purposes"] == ["marketing"] and event.payload["data"]["property"] is None
    schema = json.loads((Path(__file__).parents[2] / "schemas" / "webhook-event.schema.json").read_text())
    jsonschema.validate(event.payload, schema)
