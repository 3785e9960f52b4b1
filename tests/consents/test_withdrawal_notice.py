"""A withdrawal needs no notice version: the one in force is recorded, and the event says where it came from."""
from __future__ import annotations

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

URL = "/v1/subjects/customer/c-1/consent-events"


def events(*decisions: tuple[str, str]) -> list[dict]:
    return [{"purpose": purpose, "decision": decision, "method": "api"} for purpose, decision in decisions]


def publish(client, admin, version: str, purposes: list[str], **more) -> None:
    body = {"kind": "privacy", "version": version, "material": False, "purposes": purposes,
            "url": f"https://shop.example/privacy/{version}", **more}
    response = client.post("/v1/notices", json=body, headers=admin)
    assert response.status_code == 201, response.json


def make_property(client, admin, name: str) -> str:
    made = client.post("/v1/properties", json={
        "name": name, "allowed_origins": ["https://shop.example"], "notice_version": "banner-7",
        "notice_url": "https://shop.example/privacy"}, headers=admin)
    assert made.status_code == 201, made.json
    return made.json["publishable_key"]


def latest_event(client, headers) -> dict:
    return client.get(URL, headers=headers).json["events"][0]


@pytest.fixture
def admin(auth) -> dict[str, str]:
    return auth("admin")


def test_a_withdrawal_without_a_notice_records_the_published_one_naming_its_purpose(client, full_access, admin, clock):
    publish(client, admin, "2026-01-01", ["marketing"])
    clock.advance(days=1)
    publish(client, admin, "2026-02-01", ["marketing"])
    publish(client, admin, "2026-03-01", ["recording"])  # newer, but about another purpose

    response = client.post(URL, json={"events": events(("marketing", "withdrawn"))}, headers=full_access)

    assert response.status_code == 201, response.json
    assert response.json["consents"]["marketing"]["decision"] == "withdrawn"
    assert response.json["consents"]["marketing"]["notice_version"] == "2026-02-01"
    event = latest_event(client, full_access)
    assert event["notice_version"] == "2026-02-01" and event["evidence"] == {"notice": "in_force"}


def test_a_property_named_gives_its_own_notice_then_its_banners(client, full_access, admin, clock):
    key, other = (make_property(client, admin, name) for name in ("Shop", "Other shop"))
    body = {"events": events(("analytics", "withdrawn")), "property": key}

    assert client.post(URL, json=body, headers=full_access).status_code == 201
    assert latest_event(client, full_access)["notice_version"] == "banner-7"  # no notice published: the banner's

    publish(client, admin, "shop-2", ["analytics"], property=key)
    clock.advance(hours=1)
    publish(client, admin, "other-shop", ["analytics"], property=other)  # newer, but another property's
    assert client.post(URL, json=body, headers=full_access).status_code == 201
    event = latest_event(client, full_access)
    assert event["notice_version"] == "shop-2" and event["evidence"] == {"notice": "in_force"}


def test_without_a_published_notice_the_one_last_decided_under_is_recorded(client, full_access):
    granted = {"events": events(("marketing", "granted"), ("analytics", "granted")), "notice_version": "v-9"}
    assert client.post(URL, json=granted, headers=full_access).status_code == 201

    response = client.post(URL, json={"events": events(("marketing", "withdrawn")),
                                      "evidence": {"reference": "call-77"}}, headers=full_access)

    assert response.status_code == 201, response.json
    event = latest_event(client, full_access)
    assert event["notice_version"] == "v-9"
    assert event["evidence"] == {"reference": "call-77", "notice": "last_decision"}


def test_with_no_notice_anywhere_the_withdrawal_is_still_recorded_and_says_so(client, full_access):
    response = client.post(URL, json={"events": events(("marketing", "withdrawn"), ("analytics", "withdrawn"))},
                           headers=full_access)

    assert response.status_code == 201, response.json
    assert response.json["consents"]["marketing"]["decision"] == "withdrawn"
    history = client.get(URL, headers=full_access).json["events"]
    assert [(e["notice_version"], e["evidence"]) for e in history] == [("", {"notice": "none"})] * 2


def test_a_notice_version_sent_with_a_withdrawal_is_recorded_as_sent(client, full_access, admin):
    publish(client, admin, "2026-01-01", ["marketing"])
    body = {"events": events(("marketing", "withdrawn")), "notice_version": "as-heard"}

    assert client.post(URL, json=body, headers=full_access).status_code == 201

    event = latest_event(client, full_access)
    assert event["notice_version"] == "as-heard" and event["evidence"] == {}


@pytest.mark.parametrize("decisions", [
    [("marketing", "granted")],
    [("marketing", "denied")],
    [("marketing", "withdrawn"), ("analytics", "granted")],
])
def test_any_other_decision_still_names_its_notice(client, full_access, decisions):
    response = client.post(URL, json={"events": events(*decisions)}, headers=full_access)

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["notice_version"]
    assert "withdrawal" in response.json["errors"]["notice_version"][0]
    assert client.get(URL, headers=full_access).json["events"] == []  # nothing stored


def test_the_openapi_document_asks_for_the_notice_where_the_validation_does(client):
    """A generator reading the document (schemathesis) makes no grant without a notice that the service refuses."""
    spec = client.get("/openapi.json").json
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(spec, default_specification=DRAFT4))
    validator = Draft4Validator({"$ref": "urn:openapi#/components/schemas/RecordEvents"}, registry=registry)

    assert validator.is_valid({"events": events(("marketing", "withdrawn"), ("analytics", "withdrawn"))})
    assert validator.is_valid({"events": events(("marketing", "granted")), "notice_version": "v1"})
    assert not validator.is_valid({"events": events(("marketing", "granted"))})
    assert not validator.is_valid({"events": events(("marketing", "withdrawn"), ("analytics", "denied"))})
