"""A visitor's cookie choices carry over on login, never its marketing, recording, transfer or automated-decision consents."""
from __future__ import annotations


def _link(client, auth, customer: str, visitor: str):
    return client.post(f"/v1/subjects/customer/{customer}/links", json={"visitor_id": visitor},
                       headers=auth("consents:write"))


def test_cookie_choices_carry_over_as_linked_events_where_the_customer_has_nothing_newer(client, auth, record, clock):
    record("customer", "c-1", [("analytics", "denied", "api")])
    clock.advance(minutes=1)
    record("visitor", "v-1", [("preferences", "granted", "banner_custom"), ("advertising", "denied", "banner_custom"),
                              ("marketing", "granted", "api"), ("recording", "granted", "verbal")], country="US")
    clock.advance(minutes=1)
    record("visitor", "v-1", [("analytics", "granted", "banner_custom")], country="US")
    clock.advance(minutes=1)
    record("customer", "c-1", [("advertising", "granted", "api")], country="US")  # newer than the visitor's

    response = _link(client, auth, "c-1", "v-1")

    assert response.status_code == 201, response.json
    assert response.json["carried_over"] == ["analytics", "preferences"]
    consents = response.json["state"]["consents"]
    assert consents["analytics"]["decision"] == "granted" and consents["analytics"]["method"] == "linked"
    assert consents["preferences"]["method"] == "linked"
    assert consents["advertising"]["method"] == "api"  # the customer's own newer decision stands
    assert consents["marketing"]["source"] == "default" and consents["recording"]["source"] == "default"
    events = client.get("/v1/subjects/customer/c-1/consent-events", headers=auth("consents:read")).json["events"]
    linked = [e for e in events if e["method"] == "linked"]
    assert {e["purpose"] for e in linked} == {"analytics", "preferences"}
    assert all(e["actor"]["type"] == "system" and e["evidence"]["reference"].startswith("linked:evt_") for e in linked)
    export = client.get("/v1/subjects/customer/c-1/export", headers=auth("subjects:export")).json
    assert export["links"]["visitors"] == ["v-1"]


def test_linking_again_carries_nothing_new_and_callers_cannot_send_linked(client, auth, record):
    record("visitor", "v-1", [("analytics", "granted", "banner_custom")])
    assert _link(client, auth, "c-1", "v-1").json["carried_over"] == ["analytics"]
    assert _link(client, auth, "c-1", "v-1").json["carried_over"] == []
    body = {"events": [{"purpose": "analytics", "decision": "granted", "method": "linked"}], "notice_version": "v1"}
    response = client.post("/v1/subjects/customer/c-1/consent-events", json=body, headers=auth("consents:write"))
    assert response.status_code == 422


def test_an_unknown_visitor_is_not_found(client, auth):
    assert _link(client, auth, "c-1", "v-unknown").status_code == 404
