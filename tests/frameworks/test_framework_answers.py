"""The frameworks in the service's answers: a choice's TC string held to the banner shown and kept as evidence
(receipt, export, erasure), the GPP and TC strings in tokens, and checks that ask for them or about a vendor."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import jwt
import pytest

from consent_service.extensions import db
from consent_service.frameworks import gpp, tcstring
from consent_service.frameworks.tcstring import PublisherRestriction, TCString

COUNTRY_HEADER, REGION_HEADER = "CF-IPCountry", "X-Region"
SHOWN_VENDORS = frozenset({1, 2, 4, 12})
MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PROPERTY = {"name": "News", "allowed_origins": ["https://news.example"], "notice_version": "1",
            "notice_url": "https://news.example/privacy", "default_language": "en",
            "purposes": ["necessary", "analytics", "advertising"], "tcf_vendors": sorted(SHOWN_VENDORS)}


def tc(**changes) -> TCString:
    """A TC string of the banner below: CMP 0, vendor list 42, the four vendors shown disclosed."""
    base = TCString(
        version=2, created=MOMENT, last_updated=MOMENT, cmp_id=0, cmp_version=0, consent_screen=1,
        consent_language="EN", vendor_list_version=42, policy_version=5, is_service_specific=True,
        use_non_standard_texts=False, special_feature_optins=frozenset(), purpose_consents=frozenset(),
        purpose_legitimate_interests=frozenset(), purpose_one_treatment=False, publisher_country_code="DE",
        vendor_consents=frozenset(), vendor_legitimate_interests=frozenset(), publisher_restrictions=(),
        disclosed_vendors=SHOWN_VENDORS,
    )
    return replace(base, **changes)


ACCEPTED = tc(purpose_consents=frozenset(range(1, 12)), purpose_legitimate_interests=frozenset({7, 8, 9, 10}),
              vendor_consents=SHOWN_VENDORS, vendor_legitimate_interests=SHOWN_VENDORS,
              special_feature_optins=frozenset({1, 2}))


@pytest.fixture
def geo_app(app_with, framework_files, app):
    """The service behind a CDN that names the visitor's country and region, with built framework files."""
    made = app_with(country_header=COUNTRY_HEADER, region_header=REGION_HEADER)
    made.config["FRAMEWORKS_DIRECTORY"] = app.config["FRAMEWORKS_DIRECTORY"]
    return made


@pytest.fixture
def geo(geo_app):
    with geo_app.app_context():
        yield geo_app.test_client()
        db.session.remove()


@pytest.fixture
def news(client, auth, stored_gvl):
    """A property with GPP and TCF and four vendors of vendor list 42."""
    created = client.post("/v1/properties", json={**PROPERTY, "frameworks": ["gpp", "tcf"]}, headers=auth("admin"))
    assert created.status_code == 201, created.json
    return created.json


def place(country: str, region: str | None = None, gpc: bool = False) -> dict[str, str]:
    return {COUNTRY_HEADER: country} | ({REGION_HEADER: region} if region else {}) | ({"Sec-GPC": "1"} if gpc else {})


def choose(geo, news, headers, method: str, choices: dict, **extra):
    key = news["publishable_key"]
    config = geo.get(f"/v1/banner/{key}", headers=headers).json
    body = {"choices": choices, "method": method, "notice_version": config["notice"]["version"],
            "banner_version": config["banner_version"], **extra}
    return config, geo.post(f"/v1/banner/{key}/consents", json=body, headers=headers)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def events_of(geo, auth, visitor_id: str) -> list[dict]:
    listed = geo.get(f"/v1/subjects/visitor/{visitor_id}/consent-events", headers=auth("consents:read"))
    assert listed.status_code == 200, listed.json
    return listed.json["events"]


def test_an_accepted_tc_string_is_the_choices_evidence_in_its_token_receipt_and_export(geo, news, auth):
    value = tcstring.encode(ACCEPTED)
    _, answer = choose(geo, news, place("DE"), "banner_accept_all", {"analytics": True, "advertising": True},
                       tc_string=value)
    assert answer.status_code == 201, answer.json
    visitor = answer.json["visitor_id"]
    assert claims_of(answer.json["token"])["tcf"] == value
    events = events_of(geo, auth, visitor)
    assert {event["evidence"]["tc_string"] for event in events} == {value}
    receipt = geo.get(f"/v1/subjects/visitor/{visitor}/consent-events/{events[0]['id']}/receipt",
                      headers=auth("consents:read"))
    assert receipt.status_code == 200, receipt.json
    assert claims_of(receipt.json["receipt"])["tcString"] == value
    export = geo.get(f"/v1/subjects/visitor/{visitor}/export", headers=auth("subjects:export"))
    assert {event["evidence"]["tc_string"] for event in export.json["events"]} == {value}


def test_erasure_keeps_the_tc_string_which_names_no_one(geo, news, auth):
    value = tcstring.encode(tc())
    _, answer = choose(geo, news, place("DE"), "banner_reject_all", {"analytics": False, "advertising": False},
                       tc_string=value)
    assert answer.status_code == 201, answer.json
    visitor = answer.json["visitor_id"]
    erased = geo.delete(f"/v1/subjects/visitor/{visitor}", headers=auth("subjects:erase"))
    assert erased.status_code == 200, erased.json
    from consent_service.consents.models import ConsentEvent  # noqa: PLC0415 - read the ledger itself
    kept = {event.evidence.get("tc_string") for event in db.session.query(ConsentEvent)}
    assert kept == {value}


@pytest.mark.parametrize(("value", "method", "says"), [
    (tcstring.encode(tc(purpose_consents=frozenset({1}))), "banner_reject_all", "Reject all gives no TCF consent"),
    (tcstring.encode(tc(special_feature_optins=frozenset({1}))), "banner_reject_all", "Reject all gives no TCF"),
    (tcstring.encode(tc(cmp_id=300)), "banner_reject_all", "CMP id 300 is not this banner's (0)"),
    (tcstring.encode(tc(vendor_list_version=41)), "banner_reject_all", "Vendor list 41 is not the one shown (42)"),
    (tcstring.encode(tc(policy_version=4)), "banner_reject_all", "older than v2.3's"),
    (tcstring.encode(tc(disclosed_vendors=None)), "banner_reject_all", "requires the disclosedVendors segment"),
    (tcstring.encode(tc(disclosed_vendors=frozenset({1}))), "banner_reject_all", "not the vendors this banner showed"),
    (tcstring.encode(tc(vendor_consents=frozenset({7}), disclosed_vendors=SHOWN_VENDORS)), "banner_custom",
     "Vendors this banner did not show: 7"),
    ("not-a-tc-string", "banner_reject_all", "Not a TC string"),
])
def test_a_tc_string_that_disagrees_with_the_banner_is_refused_and_nothing_is_written(geo, news, auth, value,
                                                                                     method, says):
    _, answer = choose(geo, news, place("DE"), method, {"analytics": False, "advertising": False}, tc_string=value)
    assert answer.status_code == 422, answer.json
    assert any(says in message for message in answer.json["errors"]["tc_string"]), answer.json
    from consent_service.consents.models import ConsentEvent  # noqa: PLC0415 - read the ledger itself
    assert db.session.query(ConsentEvent).count() == 0


def test_a_banner_without_tcf_takes_no_tc_string(geo, client, auth, stored_gvl):
    created = client.post("/v1/properties", json={**PROPERTY, "frameworks": ["gpp"], "tcf_vendors": []},
                          headers=auth("admin"))
    _, answer = choose(geo, created.json, place("DE"), "banner_reject_all",
                       {"analytics": False, "advertising": False}, tc_string=tcstring.encode(tc()))
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"]["tc_string"] == ["This banner did not show the TCF layer: send no tc_string."]


def test_a_californian_with_gpc_gets_gpp_opt_outs_in_the_config_and_the_token(geo, news):
    config, answer = choose(geo, news, place("US", "US-CA", gpc=True), "banner_custom",
                            {"analytics": True, "advertising": False}, gpc=True)
    assert answer.status_code == 201, answer.json
    block = config["frameworks"]["gpp"]
    assert (block["sections"], block["applicable"], block["tcfeuv2"]) == (["usnat", "usca"], [8], True)
    assert block["opt_outs"]["usca"] == {"SaleOptOut": "advertising", "SharingOptOut": "advertising"}
    claims = claims_of(answer.json["token"])
    assert claims["gpp_sid"] == [8] and "tcf" not in claims
    decoded = gpp.decode(claims["gpp"])
    for section in ("usnat", "usca"):
        assert decoded.sections[section]["SaleOptOut"] == 1
        assert decoded.sections[section]["SharingOptOut"] == 1
        assert decoded.sections[section]["Gpc"] is True


def test_a_visitor_outside_the_us_gets_no_us_section(geo, news):
    config, answer = choose(geo, news, place("DE"), "banner_reject_all", {"analytics": False, "advertising": False})
    assert answer.status_code == 201, answer.json
    assert config["frameworks"]["gpp"]["sections"] == []
    assert config["frameworks"]["gpp"]["applicable"] == [2]  # tcfeuv2: the TCF layer is shown in the EEA
    assert claims_of(answer.json["token"])["gpp_sid"] == [2]


def check(geo, auth, **body):
    answer = geo.post("/v1/checks", json=body, headers=auth("consents:read"))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_check_answers_with_the_strings_and_a_vendors_answer(geo, news, auth):
    value = tcstring.encode(replace(ACCEPTED, purpose_consents=frozenset({1, 2, 7}), publisher_restrictions=(
        PublisherRestriction(purpose=2, restriction_type=0, ranges=((12, 12),)),)))
    _, answer = choose(geo, news, place("DE"), "banner_custom", {"analytics": True, "advertising": True},
                       tc_string=value)
    assert answer.status_code == 201, answer.json
    subject = {"kind": "visitor", "id": answer.json["visitor_id"]}
    asked = check(geo, auth, subject=subject, purposes=["analytics"], country="DE", signals=["tcf", "gpp"],
                  tcf={"vendor": 1, "purposes": [1, 2], "legitimate_interest_purposes": [7]})
    assert asked["allowed"] is True and set(asked["decisions"]) == {"analytics"}  # advertising read, not answered
    assert asked["signals"]["tcf"] == {"tc_string": value}
    assert gpp.decode(asked["signals"]["gpp"]["string"]).tcf == tcstring.decode(value)
    assert asked["tcf"] == {"vendor": 1, "allowed": True, "reason": "granted"}
    for question, reason, ids in [
        ({"vendor": 1, "purposes": [3]}, "purpose_not_consented", [3]),
        ({"vendor": 12, "purposes": [2]}, "publisher_restricted", [2]),
        ({"vendor": 7, "purposes": [1]}, "vendor_not_consented", [7]),
        ({"vendor": 1, "special_features": [1]}, "granted", None),
    ]:
        answered = check(geo, auth, subject=subject, purposes=["analytics"], country="DE", tcf=question)
        assert answered["tcf"]["reason"] == reason, question
        assert answered["tcf"].get("ids") == ids
        assert answered["allowed"] is (reason == "granted")


def test_a_subject_without_a_tc_string_is_refused_for_every_vendor(geo, auth):
    answered = check(geo, auth, subject={"kind": "customer", "id": "c-1"}, purposes=["analytics"], country="DE",
                     signals=["tcf"], tcf={"vendor": 1, "purposes": [1]})
    assert answered["allowed"] is False
    assert answered["signals"] == {"tcf": {"tc_string": None}}
    assert answered["tcf"] == {"vendor": 1, "allowed": False, "reason": "no_tc_string"}


def test_a_batch_answers_each_check_with_what_it_asked(geo, auth):
    answered = check(geo, auth, checks=[
        {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["analytics"], "region": "US-VA",
         "signals": ["gpp"]},
        {"subject": {"kind": "customer", "id": "c-2"}, "purposes": ["analytics"], "country": "DE"},
    ])
    first, second = answered["results"]
    assert gpp.decode(first["signals"]["gpp"]["string"]).section_ids == (7, 9)
    assert first["signals"]["gpp"]["applicable_sections"] == [9]
    assert "signals" not in second and "tcf" not in second


@pytest.mark.parametrize(("body", "field"), [
    ({"signals": ["gpp", "gpp"]}, "signals"),
    ({"signals": ["usp"]}, "signals"),
    ({"tcf": {"vendor": 1}}, "tcf"),
    ({"tcf": {"vendor": 0, "purposes": [1]}}, "tcf"),
    ({"tcf": {"vendor": 1, "purposes": [12]}}, "tcf"),
])
def test_a_check_asking_wrongly_is_a_422(geo, auth, body, field):
    answer = geo.post("/v1/checks", json={"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["analytics"],
                                          **body}, headers=auth("consents:read"))
    assert answer.status_code == 422, answer.json
    assert any(key.split(".")[0] == field for key in answer.json["errors"]), answer.json


def test_a_service_token_carries_the_strings_asked_for(geo, news, auth):
    value = tcstring.encode(ACCEPTED)
    _, answer = choose(geo, news, place("DE"), "banner_accept_all", {"analytics": True, "advertising": True},
                       tc_string=value)
    visitor = answer.json["visitor_id"]
    issued = geo.post(f"/v1/subjects/visitor/{visitor}/tokens", json={"signals": ["tcf", "gpp"], "region": "US-CA"},
                      headers=auth("tokens:issue"))
    assert issued.status_code == 201, issued.json
    claims = claims_of(issued.json["token"])
    assert claims["tcf"] == value and claims["gpp_sid"] == [8]
    assert gpp.decode(claims["gpp"]).sections["usca"]["SaleOptOut"] == 2  # advertising granted
    plain = geo.post(f"/v1/subjects/visitor/{visitor}/tokens", json={}, headers=auth("tokens:issue"))
    assert not {"tcf", "gpp", "gpp_sid"} & set(claims_of(plain.json["token"]))
