"""Subdivisions (ISO 3166-2): the rules resolve subdivision, then country, then default at load; a bad
entry stops the start naming it; one state's rule changes that state's answers only; requests carry a
region (checks, events, state, tokens, double opt-in, banner) that must agree with their country; the CDN's region header is
trusted like its country header, and a client's region can only make the answer stricter."""
from __future__ import annotations

import base64
import dataclasses
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.consents import chain
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.regimes.reference import render, unsourced
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules, parse_rules, protects_at_least
from consent_service.regimes.subdivisions import RegionContradictsCountry, UnknownRegion, place
from consent_service.vocabulary import Regime
from tests.banner.conftest import ORIGIN
from tests.regimes.answer_cases.subdivisions import NO_SIGNAL_STATES, SIGNAL_STATES, us_ignores_gpc
from tests.regimes.helpers import post_events, rules_with

ALL_PARTIES = {"US-CA", "US-CT", "US-FL", "US-IL", "US-MA", "US-MD", "US-MT", "US-NH", "US-PA", "US-WA"}
COUNTRY_HEADER, REGION_HEADER = "CloudFront-Viewer-Country", "CloudFront-Viewer-Country-Region"


def shipped() -> dict:
    return json.loads(DEFAULT_RULES_PATH.read_text())


def entries(rules: dict) -> dict:
    return rules["subdivisions"]["entries"]


# The rules file, resolved at load

def test_a_subdivision_decides_then_its_country_then_the_default():
    rules = load_rules()
    assert rules.jurisdiction("US", "US-CA") == "US-CA"
    assert rules.jurisdiction("US", "US-WY") == "US"  # no entry: the country's
    assert rules.jurisdiction("BR", None) is None and rules.jurisdiction(None, None) is None  # the default regime
    assert rules.policy_for("US-CA").regime is Regime.OPT_OUT and rules.policy_for(
        rules.jurisdiction("US", "US-WY")) is rules.policies[Regime.OPT_OUT]
    assert rules.policy_for("CA-QC").regime is Regime.OPT_IN


def test_the_two_party_consent_states_are_marked_for_recording():
    rules = load_rules()
    assert {code for code, policy in rules.subdivisions.items() if policy.recording_all_parties} == ALL_PARTIES
    assert not rules.policy_for("US").recording_all_parties and not rules.policy_for("US-VA").recording_all_parties


def test_states_whose_law_requires_gpc_keep_it_when_the_us_rules_drop_it(tmp_path):
    rules = load_rules(rules_with(tmp_path, us_ignores_gpc))
    assert {code for code in SIGNAL_STATES if rules.policy_for(code).gpc_purposes == {"advertising"}} == set(SIGNAL_STATES)
    assert all(rules.policy_for(code).gpc_purposes == frozenset() for code in (*NO_SIGNAL_STATES, "US"))
    assert rules.policy_for("US-CA").path_of("gpc_purposes") == "subdivisions.entries.US-CA.gpc_purposes"
    assert rules.policy_for("US-VA").path_of("gpc_purposes") == "regimes.opt_out.gpc_purposes"


def test_every_shipped_subdivision_rule_cites_its_source():
    for code, entry in entries(shipped()).items():
        assert len(entry["source"]) > 20, code


def test_an_entry_inherits_another_by_name_and_its_changes(tmp_path):
    def change(rules):
        entries(rules)["US-CO"]["purposes"] = {"advertising": {"default": "granted", "source": "test"}}
        entries(rules)["US-UT"]["inherits"] = "US-CO"

    rules = load_rules(rules_with(tmp_path, change))
    assert rules.policy_for("US-UT").purpose_defaults["advertising"] == "granted"
    assert rules.policy_for("US-UT").path_of("purposes.advertising.default") == (
        "subdivisions.entries.US-CO.purposes.advertising.default")
    assert rules.policy_for("US-VA").purpose_defaults["advertising"] == "denied"


def test_changing_one_state_changes_only_that_states_policy(tmp_path):
    def change(rules):
        entries(rules)["US-CO"]["gpc_purposes"] = ["advertising", "analytics"]

    before, after = load_rules(), load_rules(rules_with(tmp_path, change))
    changed = {code for code in (*before.subdivisions, "US", "DE", None)
               if before.policy_for(code) != after.policy_for(code)}
    assert changed == {"US-CO"}


def bad(where: str, problem: str, change) -> tuple:
    return pytest.param(change, f"{where}: {problem}", id=where)


@pytest.mark.parametrize(("change", "named"), [
    bad("subdivisions.entries.US-ZZ", "'US-ZZ' is not an ISO 3166-2 subdivision code",
        lambda r: entries(r).update({"US-ZZ": {"source": "a statute"}})),
    bad("subdivisions.entries.California", "'California' is not an ISO 3166-2",
        lambda r: entries(r).update({"California": {"source": "a statute"}})),
    bad("subdivisions.entries.US-CO", "inherits itself: US-CO -> US-CT -> US-CO",
        lambda r: (entries(r)["US-CO"].update(inherits="US-CT"), entries(r)["US-CT"].update(inherits="US-CO"))),
    bad("subdivisions.entries.US-VA", "inherits itself: US-VA -> US-VA", lambda r: entries(r)["US-VA"].update(inherits="US-VA")),
    bad("subdivisions.entries.US-TX.purposes.analytics", "has no default",
        lambda r: entries(r)["US-TX"].update(purposes={"analytics": {"consent_methods": ["api"]}})),
    bad("subdivisions.entries.US-TX.inherits", "'US-XX' is no subdivision entry",
        lambda r: entries(r)["US-TX"].update(inherits="US-XX")),
    bad("subdivisions.entries.US-UT.source", "every subdivision rule cites its source",
        lambda r: entries(r)["US-UT"].pop("source")),
    bad("subdivisions.entries.US-UT", "unknown keys ['regime']", lambda r: entries(r)["US-UT"].update(regime="opt_in")),
    bad("subdivisions.entries.US-WA.recording_all_parties", "must be true or false",
        lambda r: entries(r)["US-WA"].update(recording_all_parties="yes")),
    bad("subdivisions.entries.US-CA.gpc_purposes", "must be a list of purpose keys",
        lambda r: entries(r)["US-CA"].update(gpc_purposes="advertising")),
])
def test_a_bad_subdivision_entry_stops_the_start_naming_it(tmp_path, change, named):
    path = rules_with(tmp_path, change)
    with pytest.raises(ConfigError) as raised:
        load_rules(path)
    assert named in str(raised.value)
    with pytest.raises(ConfigError, match="subdivisions.entries"):
        create_app(environ={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "RULES_FILE": path})


def test_a_purpose_default_can_come_from_the_regime_or_a_parent():
    rules = shipped()
    entries(rules)["US-TX"]["purposes"] = {"advertising": {"consent_methods": ["api", "written"]}}  # the regime's default
    parsed = parse_rules(rules)
    assert parsed.policy_for("US-TX").purpose_methods["advertising"] == {"api", "written"}
    assert parsed.policy_for("US-TX").purpose_defaults["advertising"] == "denied"


# A request's place

def test_a_region_gives_its_country_and_must_agree_with_one_given():
    assert place(None, "US-CA") == "US" and place("US", "US-CA") == "US" and place("DE", None) == "DE"
    with pytest.raises(RegionContradictsCountry) as contradiction:
        place("DE", "US-CA", field="checks.2.region")
    assert contradiction.value.errors == {"checks.2.region": ["US-CA is not in DE."]}
    with pytest.raises(UnknownRegion):
        place("US", "US-ZZ")


def test_a_client_place_only_tightens_the_trusted_one(tmp_path):
    rules = load_rules(rules_with(tmp_path, us_ignores_gpc))

    def public(trusted: tuple, claimed: tuple) -> str | None:
        return rules.public_jurisdiction(trusted_country=trusted[0], trusted_region=trusted[1],
                                         claimed_country=claimed[0], claimed_region=claimed[1])

    assert public(("US", "US-VA"), ("US", "US-CA")) == "US-CA"  # GPC honoured: stricter
    assert public(("US", "US-CA"), ("US", "US-VA")) == "US-CA"  # would drop GPC and two-party recording
    assert public(("US", "US-CA"), (None, None)) == "US-CA"
    assert public(("US", None), (None, "CA-QC")) == "CA-QC"  # opt-in is stricter than opt-out
    assert public((None, None), ("US", "US-CA")) is None  # the default (opt-in) is stricter than any US state
    assert public(("DE", None), ("US", "US-CA")) == "DE"
    assert not protects_at_least(rules.policy_for("US-VA"), rules.policy_for("US-CA"))
    assert protects_at_least(rules.policy_for("US-CA"), rules.policy_for("US-VA"))


def test_a_policy_granting_by_default_what_another_denies_is_laxer():
    rules = load_rules()
    us = rules.policy_for("US")
    selling = dataclasses.replace(us, purpose_defaults={**us.purpose_defaults, "advertising": "granted"})
    assert not protects_at_least(selling, us) and protects_at_least(us, selling)


# Through the API

CHECK = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["advertising"]}


def test_a_check_and_the_state_say_which_jurisdiction_decided(client, auth):
    headers = auth("consents:read")
    assert client.post("/v1/checks", json=CHECK | {"region": "US-CA"}, headers=headers).json["jurisdiction"] == "US-CA"
    assert client.post("/v1/checks", json=CHECK | {"country": "US", "region": "US-WY"},
                       headers=headers).json["jurisdiction"] == "US"
    assert client.post("/v1/checks", json=CHECK, headers=headers).json["jurisdiction"] is None
    state = client.get("/v1/subjects/customer/c-1/consents", query_string={"region": "CA-QC"}, headers=headers).json
    assert (state["jurisdiction"], state["regime"]) == ("CA-QC", "opt_in")


def test_a_region_contradicting_its_country_is_a_422_naming_the_field(client, auth):
    headers = auth("consents:read", "consents:write")
    single = client.post("/v1/checks", json=CHECK | {"country": "DE", "region": "US-CA"}, headers=headers)
    assert (single.status_code, single.json["code"]) == (422, "region_contradicts_country")
    batch = client.post("/v1/checks", headers=headers, json={"checks": [CHECK | {"region": "US-CA"},
                                                                          CHECK | {"country": "FR", "region": "CA-QC"}]})
    assert (batch.status_code, batch.json["code"]) == (422, "region_contradicts_country")
    assert "checks.1.region" in batch.json["errors"]
    malformed = client.post("/v1/checks", json=CHECK | {"region": "California"}, headers=headers)
    assert (malformed.status_code, malformed.json["code"]) == (422, "validation_error")
    state = client.get("/v1/subjects/customer/c-1/consents", query_string={"country": "DE", "region": "US-TX"},
                       headers=headers)
    assert (state.status_code, state.json["code"]) == (422, "region_contradicts_country")
    written = client.post("/v1/subjects/customer/c-1/consent-events", headers=headers, json={
        "events": [{"purpose": "analytics", "decision": "denied", "method": "api"}], "notice_version": "1",
        "country": "DE", "region": "US-CA"})
    assert (written.status_code, written.json["code"]) == (422, "region_contradicts_country")
    assert db.session.scalar(select(ConsentEvent.id)) is None


def test_an_event_keeps_its_region_and_its_hash_covers_it(client, auth, clock):
    headers = auth("consents:read", "consents:write")
    post_events(client, headers, clock, {"events": [{"purpose": "analytics", "decision": "denied", "method": "api"}],
                                         "region": "US-CA"})
    post_events(client, headers, clock, {"events": [{"purpose": "marketing", "decision": "denied", "method": "api"}],
                                         "country": "US"})
    history = client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json["events"]
    assert [(e["country"], e["region"]) for e in history] == [("US", None), ("US", "US-CA")]
    with_region, without = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.revision)).all()
    assert chain.content(with_region)["region"] == "US-CA" and "region" not in chain.content(without)
    assert with_region.hash == chain.link_hash(with_region.prev_hash, with_region)
    with_region.region = "US-TX"  # not written: what a changed region would do to the proof
    assert with_region.hash != chain.link_hash(with_region.prev_hash, with_region)
    db.session.rollback()


def test_the_cdn_region_header_places_a_check_that_names_no_place(app_with, auth):
    app = app_with(country_header=COUNTRY_HEADER, region_header=REGION_HEADER)
    headers = auth("consents:read")
    with app.app_context():
        client = app.test_client()

        def jurisdiction(cdn: dict, **body) -> str | None:
            return client.post("/v1/checks", json=CHECK | body, headers=headers | cdn).json["jurisdiction"]

        assert jurisdiction({COUNTRY_HEADER: "US", REGION_HEADER: "CA"}) == "US-CA"  # CloudFront: the part after US-
        assert jurisdiction({REGION_HEADER: "us-tx"}) == "US-TX"  # a whole code alone
        assert jurisdiction({COUNTRY_HEADER: "DE", REGION_HEADER: "US-CA"}) == "DE"  # not in the country: left out
        assert jurisdiction({COUNTRY_HEADER: "US", REGION_HEADER: "ZZ"}) == "US"
        assert jurisdiction({COUNTRY_HEADER: "US", REGION_HEADER: "CA"}, country="US") == "US"  # the check's own place


def test_the_cdn_region_header_is_read_only_when_configured(client, auth):
    answer = client.post("/v1/checks", json=CHECK, headers=auth("consents:read") | {REGION_HEADER: "US-CA"})
    assert answer.json["jurisdiction"] is None


@pytest.fixture
def region_app(app_with, tmp_path):
    """An app trusting the CDN's country and region headers, whose US rules ignore GPC."""
    app = app_with(country_header=COUNTRY_HEADER, region_header=REGION_HEADER,
                   rules_file=rules_with(tmp_path, us_ignores_gpc))
    with app.app_context():
        from consent_service.properties import service as properties

        prop = properties.create_property(session=db.session, name="Shop", allowed_origins=[ORIGIN],
                                          notice_version="2026-01-01", notice_url="https://shop.example/privacy",
                                          now=app.config["CLOCK"]())
        db.session.commit()
        yield app, prop


def banner_in(region_app, cdn_region: str, **query) -> dict:
    app, prop = region_app
    response = app.test_client().get(f"/v1/banner/{prop.publishable_key}", query_string=query,
                                     headers={"Origin": ORIGIN, COUNTRY_HEADER: "US", REGION_HEADER: cdn_region})
    assert response.status_code == 200, response.json
    return response.json


def test_a_banner_honours_gpc_where_the_cdn_region_requires_it(region_app):
    assert banner_in(region_app, "CA")["gpc_purposes"] == ["advertising"]
    assert banner_in(region_app, "VA")["gpc_purposes"] == []


def test_a_page_region_can_tighten_the_banner_never_loosen_it(region_app):
    assert banner_in(region_app, "VA", region="US-CA")["gpc_purposes"] == ["advertising"]
    assert banner_in(region_app, "CA", region="US-VA")["gpc_purposes"] == ["advertising"]
    assert banner_in(region_app, "CA", country="US", region="US-VA")["gpc_purposes"] == ["advertising"]
    quebec = banner_in(region_app, "VA", region="CA-QC")
    assert quebec["regime"] == "opt_in" and not any(p["preselected"] for p in quebec["purposes"] if p["refusable"])


def test_a_page_region_contradicting_its_country_is_refused(region_app):
    app, prop = region_app
    response = app.test_client().get(f"/v1/banner/{prop.publishable_key}", query_string={"country": "DE", "region": "US-CA"},
                                     headers={"Origin": ORIGIN})
    assert (response.status_code, response.json["code"]) == (422, "region_contradicts_country")


def test_a_banner_choice_records_the_cdn_region_and_its_gpc_rule(region_app):
    app, prop = region_app
    config = banner_in(region_app, "CA")
    response = app.test_client().post(
        f"/v1/banner/{prop.publishable_key}/consents",
        json={"choices": {"preferences": True, "analytics": True, "advertising": False}, "method": "banner_accept_all",
              "notice_version": config["notice"]["version"], "banner_version": config["banner_version"], "gpc": True},
        headers={"Origin": ORIGIN, COUNTRY_HEADER: "US", REGION_HEADER: "CA"})
    assert response.status_code == 201, response.json
    recorded = db.session.execute(select(ConsentEvent.purpose, ConsentEvent.method, ConsentEvent.country,
                                         ConsentEvent.region)).all()
    assert ("advertising", "gpc", "US", "US-CA") in recorded
    assert {(country, region) for _, _, country, region in recorded} == {("US", "US-CA")}


def test_one_states_rule_changed_changes_its_answers_and_no_others(client, auth, clock, app_with, tmp_path):
    """Acceptance 4 through the API: every shipped subdivision, its country and an EU country, with and
    without GPC, for a subject with an agent's grant and one with nothing recorded."""
    headers = auth("consents:read", "consents:write")
    post_events(client, headers, clock, {"events": [{"purpose": "advertising", "decision": "granted", "method": "api"}],
                                         "country": "US", "actor": {"type": "agent", "id": "a-1"}})
    places = [{"region": code} for code in entries(shipped())] + [{"country": "US"}, {"country": "DE"}]
    batch = {"checks": [{"subject": {"kind": "customer", "id": subject}, "purposes": ["advertising", "analytics"],
                         "gpc": gpc, **where} for subject in ("c-1", "c-2") for gpc in (True, False) for where in places]}

    def answers(app_client) -> list:
        results = []
        for half in (batch["checks"][:len(places) * 2], batch["checks"][len(places) * 2:]):  # 100 checks a batch at most
            response = app_client.post("/v1/checks", json={"checks": half}, headers=headers)
            assert response.status_code == 200, response.json
            results += response.json["results"]
        return results

    def colorado_sells_and_ignores_gpc(rules):
        entries(rules)["US-CO"].update(gpc_purposes=[], purposes={"advertising": {"default": "granted", "source": "t"}})

    before = answers(client)
    changed_app = app_with(rules_file=rules_with(tmp_path, colorado_sells_and_ignores_gpc))
    with changed_app.app_context():
        after = answers(changed_app.test_client())
    differ = {(check["subject"]["id"], check["gpc"], check.get("region") or check["country"])
              for check, old, new in zip(batch["checks"], before, after) if old["decisions"] != new["decisions"]}
    assert differ == {("c-1", True, "US-CO"), ("c-2", True, "US-CO"), ("c-2", False, "US-CO")}


def test_a_token_is_signed_on_the_regions_rules(client, auth):
    headers = auth("tokens:issue")
    issued = client.post("/v1/subjects/customer/c-1/tokens", json={"region": "CA-QC"}, headers=headers)
    assert issued.status_code == 201, issued.json
    payload = issued.json["token"].split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["regime"] == "opt_in"
    refused = client.post("/v1/subjects/customer/c-1/tokens", json={"country": "US", "region": "CA-QC"}, headers=headers)
    assert (refused.status_code, refused.json["code"]) == (422, "region_contradicts_country")


def test_the_rules_reference_lists_every_subdivision_with_its_source():
    rules = shipped()
    page = render(rules, rules_name="rules.json")
    for code, entry in entries(rules).items():
        assert f"### `subdivisions.entries.{code}`: {entry['name']}\n\nSource: {entry['source']}" in page
    assert "| `CA-QC` | Quebec | opt_in |" in page
    del entries(rules)["US-WA"]["source"]
    assert unsourced(rules) == ["subdivisions.entries.US-WA"]


def test_a_double_opt_in_and_its_confirmation_keep_the_region(client, auth):
    headers = auth("consents:read", "consents:write")
    asked = client.post("/v1/subjects/customer/c-9/double-opt-in", headers=headers,
                        json={"notice_version": "2026-01-01", "region": "US-CA"})
    assert asked.status_code == 201, asked.json
    assert asked.json["state"]["jurisdiction"] == "US-CA"
    page = client.get(urlsplit(asked.json["confirmation_url"]).path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(urlsplit(asked.json["confirmation_url"]).path, data={"csrf_token": token}).status_code == 200
    history = client.get("/v1/subjects/customer/c-9/consent-events", headers=headers).json["events"]
    assert [(e["method"], e["country"], e["region"]) for e in history] == [
        ("double_opt_in_confirmed", "US", "US-CA"), ("double_opt_in", "US", "US-CA")]
    contradicting = client.post("/v1/subjects/customer/c-9/double-opt-in", headers=headers,
                                json={"notice_version": "2026-01-01", "country": "DE", "region": "US-CA"})
    assert (contradicting.status_code, contradicting.json["code"]) == (422, "region_contradicts_country")
