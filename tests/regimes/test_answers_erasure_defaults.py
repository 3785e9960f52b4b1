"""Issue 17, classes 4 and 2: erasure keeps every refusal, and sale/sharing needs consent out of the box.

Class 4: a person who refused a purpose (an opt-out of sale/sharing, an objection, a withdrawal) and is
then erased stays refused when the identifier comes back (`suppressed`), until they decide anew.
Class 2: the shipped rules make advertising (sale, sharing, targeted advertising) opt-in in the US
too, as the reference notices promise; an operator rules file can make it opt-out again.
The case-by-case answers are in the answer table (tests/regimes/answer_cases/erasure_and_defaults.py);
here: linked and erased visitors, old suppression entries, tokens, receipts and exports, the
operator's own rules file, and the banner's pre-ticked boxes.
"""
from __future__ import annotations

import json

import jwt
import pytest
from sqlalchemy import text

from consent_service.extensions import db
from consent_service.properties import service as properties
from consent_service.regimes.service import DEFAULT_RULES_PATH

WHO = "cust-returning-7"
VISITOR = "vis-returning-3"


def c(purpose: str, country: str | None = "US", **extra) -> dict:
    return {"purposes": [purpose], **({"country": country} if country else {}), **extra}


def _write(client, headers, clock, kind, subject, events, country="US"):
    clock.advance(minutes=1)
    for purpose, decision, method in events:
        body = {"events": [{"purpose": purpose, "decision": decision, "method": method}], "notice_version": "v1",
                "country": country}
        response = client.post(f"/v1/subjects/{kind}/{subject}/consent-events", json=body, headers=headers)
        assert response.status_code == 201, response.json


def _erase(client, auth, clock, kind, subject) -> dict:
    clock.advance(minutes=1)
    response = client.delete(f"/v1/subjects/{kind}/{subject}", headers=auth("subjects:erase"))
    assert response.status_code == 200, response.json
    return response.json


def _check(client, headers, clock, kind, subject, check) -> dict:
    clock.advance(minutes=1)
    answer = client.post("/v1/checks", json={"subject": {"kind": kind, "id": subject}, **check}, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["decisions"]


def test_a_linked_visitor_keeps_its_refusals_when_its_customer_is_erased(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    _write(client, headers, clock, "visitor", VISITOR, [("analytics", "denied", "banner_custom")])
    _write(client, headers, clock, "customer", WHO, [("marketing", "granted", "api")])
    linked = client.post(f"/v1/subjects/customer/{WHO}/links", json={"visitor_id": VISITOR}, headers=headers)
    assert linked.status_code == 201, linked.json
    _erase(client, auth, clock, "customer", WHO)

    decisions = _check(client, headers, clock, "visitor", VISITOR, {"purposes": ["analytics", "preferences"],
                                                                    "country": "US"})

    assert (decisions["analytics"]["allowed"], decisions["analytics"]["reason"]) == (False, "suppressed")
    assert (decisions["preferences"]["allowed"], decisions["preferences"]["reason"]) == (True, "default_opt_out")


def test_an_erased_visitor_keeps_its_refusals(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    _write(client, headers, clock, "visitor", VISITOR, [("advertising", "denied", "banner_custom"),
                                                        ("analytics", "denied", "banner_custom")])
    _erase(client, auth, clock, "visitor", VISITOR)

    decisions = _check(client, headers, clock, "visitor", VISITOR, {"purposes": ["analytics", "advertising"],
                                                                    "country": "US"})

    assert {key: (d["allowed"], d["reason"]) for key, d in decisions.items()} == {
        "analytics": (False, "suppressed"), "advertising": (False, "suppressed")}


def test_an_entry_written_before_refusals_were_kept_suppresses_communication_only(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    _write(client, headers, clock, "customer", WHO, [("analytics", "denied", "api")])
    _erase(client, auth, clock, "customer", WHO)
    db.session.execute(text("UPDATE suppressions SET refused_purposes = NULL"))
    db.session.commit()

    decisions = _check(client, headers, clock, "customer", WHO, {"purposes": ["analytics", "marketing"], "country": "US"})

    assert {key: (d["allowed"], d["reason"]) for key, d in decisions.items()} == {
        "analytics": (True, "default_opt_out"), "marketing": (False, "suppressed")}


def test_the_token_for_the_returning_subject_carries_the_suppression(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    _write(client, headers, clock, "customer", WHO, [("analytics", "denied", "api"), ("marketing", "granted", "api")])
    _erase(client, auth, clock, "customer", WHO)
    clock.advance(minutes=1)

    issued = client.post(f"/v1/subjects/customer/{WHO}/tokens", json={"country": "US"}, headers=auth("tokens:issue"))

    assert issued.status_code == 201, issued.json
    claims = jwt.decode(issued.json["token"], options={"verify_signature": False})
    assert claims["purposes"]["analytics"] is False and claims["purposes"]["marketing"] is False
    assert claims["purposes"]["preferences"] is True and claims["purposes"]["service_notices"] is True


def test_the_receipt_and_the_export_say_what_the_suppression_entry_keeps(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    _write(client, headers, clock, "customer", WHO, [("advertising", "denied", "api"), ("analytics", "withdrawn", "api"),
                                                     ("marketing", "granted", "api")])
    receipt = _erase(client, auth, clock, "customer", WHO)
    assert receipt["suppression"] == {"communication": True, "refused_purposes": ["advertising", "analytics"]}
    _write(client, headers, clock, "customer", WHO, [("analytics", "granted", "api")])

    exported = client.get(f"/v1/subjects/customer/{WHO}/export", headers=auth("subjects:export"))

    assert exported.status_code == 200, exported.json
    suppression = exported.json["suppression"]
    assert suppression["communication"] is True and suppression["refused_purposes"] == ["advertising", "analytics"]
    assert suppression["since"].startswith(receipt["erased_at"][:16])
    assert exported.json["state"]["consents"]["advertising"]["reason"] == "suppressed"
    assert exported.json["state"]["consents"]["analytics"]["reason"] == "granted"


# Class 2: sale, sharing and targeted advertising need consent out of the box, everywhere.
def operator_rules(tmp_path, advertising: dict) -> str:
    """The shipped rules file with the opt-out regime's advertising rule replaced, as an operator would."""
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    rules["regimes"]["opt_out"]["purposes"]["advertising"] = advertising
    path = tmp_path / "operator-rules.json"
    path.write_text(json.dumps(rules))
    return str(path)


# The snippet the rules guide (docs/rules.md) gives operators whose notice allows opt-out sale.
OPT_OUT_SALE = {"default": "granted", "source": "Our notice: you may opt out of sale and sharing (Cal. Civ. Code 1798.120)."}


@pytest.mark.parametrize("country,expect", [("US", (True, "default_opt_out")), ("DE", (False, "opt_in_required"))])
def test_an_operator_rules_file_can_make_sale_opt_out_again(country, expect, app_with, auth, tmp_path):
    app = app_with(rules_file=operator_rules(tmp_path, OPT_OUT_SALE))
    with app.app_context():
        client = app.test_client()
        answer = client.post("/v1/checks", json={"subject": {"kind": "customer", "id": WHO}, **c("advertising", country)},
                             headers=auth("consents:read"))
        gpc = client.post("/v1/checks", json={"subject": {"kind": "customer", "id": WHO},
                                              **c("advertising", country, gpc=True)}, headers=auth("consents:read"))
    decision = answer.json["decisions"]["advertising"]
    assert (decision["allowed"], decision["reason"]) == expect
    assert gpc.json["decisions"]["advertising"]["allowed"] is False  # GPC still opts out where it applies


def test_the_rules_guide_gives_the_operator_snippet():
    guide = (DEFAULT_RULES_PATH.parents[2] / "docs" / "rules.md").read_text()
    assert '"advertising": {"default": "granted"' in guide


def test_every_shipped_advertising_rule_cites_its_source():
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    for name, regime in rules["regimes"].items():
        rule = regime["purposes"]["advertising"]
        assert rule["default"] == "denied", name
        assert len(rule.get("source", "")) > 40, name


@pytest.mark.parametrize("cdn_country,preselected", [
    ("US", {"preferences": True, "analytics": True, "advertising": False}),
    ("DE", {"preferences": False, "analytics": False, "advertising": False}),
])
def test_the_banner_does_not_pre_tick_advertising(cdn_country, preselected, app_with, clock):
    app = app_with(country_header="CF-IPCountry")
    with app.app_context():
        prop = properties.create_property(session=db.session, name="Shop", allowed_origins=["https://shop.example"],
                                          notice_version="2026-01-01", notice_url="https://shop.example/privacy",
                                          now=clock())
        db.session.commit()
        config = app.test_client().get(f"/v1/banner/{prop.publishable_key}",
                                       headers={"Origin": "https://shop.example", "CF-IPCountry": cdn_country})
    assert config.status_code == 200, config.json
    shown = {p["key"]: p["preselected"] for p in config.json["purposes"] if p["refusable"]}
    assert shown == preselected
