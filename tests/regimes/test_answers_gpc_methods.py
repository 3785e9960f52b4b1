"""Issue 17, classes 1, 5 and 8 beyond the answer table (tests/regimes/answer_cases/gpc_methods.py):
the double opt-in flow, empty event lists, banner choices that contradict their method, what the
banner is told about GPC, and a bad GPC or method table stopping the start.
"""
from __future__ import annotations

import json
import re

import pytest
from urllib.parse import urlsplit

from sqlalchemy import func, select

from consent_service.config import ConfigError
from consent_service.consents import service as consents
from consent_service.consents.models import ConsentEvent
from consent_service.errors import ValidationFailed
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules
from consent_service.runtime import runtime
from consent_service.vocabulary import Method
from tests.banner.conftest import ORIGIN, app, banner, choose, prop  # noqa: F401 - fixtures of this module


def test_the_double_opt_in_flow_still_confirms(client, auth, clock):
    """The only writer of the confirmed method: the confirmation of a pending request, from the inbox."""
    headers = auth("consents:read", "consents:write")
    body = {"events": [{"purpose": "marketing", "decision": "granted", "method": "double_opt_in"}],
            "notice_version": "2026-01-01", "country": "DE"}
    pending = client.post("/v1/subjects/customer/c-1/consent-events", json=body, headers=headers)
    assert pending.status_code == 201, pending.json
    url = urlsplit(pending.json["confirmation_urls"]["marketing"]).path
    clock.advance(minutes=1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    assert client.post(url, data={"csrf_token": token}).status_code == 200
    check = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["marketing"], "country": "DE"}
    decision = client.post("/v1/checks", json=check, headers=headers).json["decisions"]["marketing"]
    assert (decision["allowed"], decision["reason"]) == (True, "granted")
    history = client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json
    assert [e["method"] for e in history["events"]][:2] == ["double_opt_in_confirmed", "double_opt_in"]


def test_an_empty_list_of_events_is_refused_before_the_database(app, session, clock):
    with pytest.raises(ValidationFailed) as refused:
        record_consent(session=session, kind="customer", external_id="c-1", events=[],
                       context=consents.EventContext(notice_version="1"), rules=runtime().rules, now=clock())
    assert "events" in refused.value.errors
    assert events_count() == 0


def events_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


# Class 8: banner choices whose method contradicts them are refused, naming the field, nothing written.
ALL = {"preferences": True, "analytics": True, "advertising": True}
NONE = {"preferences": False, "analytics": False, "advertising": False}

BANNER_CASES = [
    # (name, cdn country, method, choices, gpc, expected status, fields named)
    ("DE reject all with every choice true", "DE", "banner_reject_all", ALL, False, 422,
     {"choices.preferences", "choices.analytics", "choices.advertising"}),
    ("US reject all with every choice true", "US", "banner_reject_all", ALL, False, 422,
     {"choices.preferences", "choices.analytics", "choices.advertising"}),
    ("DE reject all with one choice true", "DE", "banner_reject_all", NONE | {"analytics": True}, False, 422,
     {"choices.analytics"}),
    ("DE accept all with one choice false", "DE", "banner_accept_all", ALL | {"preferences": False}, False, 422,
     {"choices.preferences"}),
    ("DE accept all with every choice false", "DE", "banner_accept_all", NONE, False, 422,
     {"choices.preferences", "choices.analytics", "choices.advertising"}),
    ("US accept all leaving a purpose out", "US", "banner_accept_all", {"analytics": True}, False, 422,
     {"choices.preferences", "choices.advertising"}),
    ("US accept all with advertising false and no GPC", "US", "banner_accept_all", ALL | {"advertising": False}, False,
     422, {"choices.advertising"}),
    # An honoured GPC signal turns advertising off: the banner sends it unticked with accept all.
    ("US accept all with advertising false under GPC", "US", "banner_accept_all", ALL | {"advertising": False}, True,
     201, set()),
    ("US accept all with GPC but analytics false", "US", "banner_accept_all", ALL | {"analytics": False}, True, 422,
     {"choices.analytics"}),
    ("DE reject all", "DE", "banner_reject_all", NONE, False, 201, set()),
    ("DE accept all", "DE", "banner_accept_all", ALL, False, 201, set()),
    ("DE custom, mixed", "DE", "banner_custom", NONE | {"analytics": True}, False, 201, set()),
]


@pytest.mark.parametrize(("name", "country", "method", "choices", "gpc", "status", "named"), BANNER_CASES,
                         ids=[case[0] for case in BANNER_CASES])
def test_banner_choice_contradicting_its_method(name, country, method, choices, gpc, status, named, banner, choose):
    from tests.banner.conftest import COUNTRY_HEADER

    config = banner(cdn_country=country)
    response = choose(choices, method=method, config=config, gpc=gpc, headers={COUNTRY_HEADER: country})
    assert response.status_code == status, response.json
    if status == 422:
        assert response.json["code"] == "choice_contradicts_method"
        assert set(response.json["errors"]) == named
        assert events_count() == 0
    else:
        decided = {key: value["decision"] for key, value in response.json["decisions"].items() if key != "necessary"}
        expected = {key: "granted" if value else "denied" for key, value in choices.items()}
        assert decided == expected | ({"advertising": "denied"} if gpc else {})


def test_a_banner_cannot_show_what_its_methods_cannot_decide(client, auth):
    body = {"name": "X", "allowed_origins": ["https://x.example"], "notice_version": "1",
            "notice_url": "https://x.example/p", "purposes": ["analytics", "marketing"]}
    response = client.post("/v1/properties", json=body, headers=auth("admin"))
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == {"purposes.1"}


def test_accept_all_under_gpc_records_the_signal_not_a_grant(banner, choose):
    from tests.banner.conftest import COUNTRY_HEADER

    response = choose(ALL | {"advertising": False}, method="banner_accept_all", config=banner(cdn_country="US"), gpc=True,
                      headers={COUNTRY_HEADER: "US"})
    assert response.status_code == 201, response.json
    recorded = {e.purpose: (e.decision, e.method) for e in db.session.scalars(select(ConsentEvent))}
    assert recorded["advertising"] == ("denied", "gpc")
    assert recorded["analytics"] == ("granted", "banner_accept_all")


# The banner's configuration carries GPC from the rules file; the JavaScript has no copy.
@pytest.mark.parametrize(("lang", "status"), [("en", "Opt-out request honored"), ("de", "Opt-out-Anfrage berücksichtigt"),
                                              ("fr", "Demande d'opposition respectée")])
def test_banner_config_says_what_gpc_turns_off_and_the_status_text(banner, lang, status):
    config = banner(cdn_country="US", lang=lang)
    assert (config["gpc_honoured"], config["gpc_purposes"]) == (True, ["advertising"])
    assert config["texts"]["gpc_honored"] == status


def test_banner_config_gpc_follows_the_property_and_its_purposes(client, auth, banner, prop):
    headers = auth("admin")
    changed = client.patch(f"/v1/properties/{prop.id}", json={"gpc_honoured": False}, headers=headers)
    assert changed.status_code == 200, changed.json
    config = banner(cdn_country="US")
    assert (config["gpc_honoured"], config["gpc_purposes"]) == (False, ["advertising"])
    changed = client.patch(f"/v1/properties/{prop.id}", json={"gpc_honoured": True, "purposes": ["analytics"]},
                           headers=headers)
    assert changed.status_code == 200, changed.json
    config = banner(cdn_country="US")
    assert (config["gpc_honoured"], config["gpc_purposes"]) == (False, [])


def test_the_rules_file_alone_says_what_gpc_turns_off(app_with, tmp_path, clock, prop):
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    rules["regimes"]["opt_out"]["gpc_purposes"] = ["analytics"]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    from tests.banner.conftest import COUNTRY_HEADER

    other = app_with(rules_file=str(path), country_header=COUNTRY_HEADER)
    with other.app_context():
        client = other.test_client()
        headers = {"Origin": ORIGIN, COUNTRY_HEADER: "US"}
        config = client.get(f"/v1/banner/{prop.publishable_key}", headers=headers).json
        assert (config["gpc_honoured"], config["gpc_purposes"]) == (True, ["analytics"])
        body = {"choices": ALL | {"analytics": False}, "method": "banner_accept_all", "gpc": True,
                "notice_version": config["notice"]["version"], "banner_version": config["banner_version"]}
        response = client.post(f"/v1/banner/{prop.publishable_key}/consents", json=body, headers=headers)
        assert response.status_code == 201, response.json
        assert response.json["decisions"]["analytics"]["decision"] == "denied"
        assert response.json["decisions"]["advertising"]["decision"] == "granted"


# The rules file is validated at start, naming the entry.
@pytest.mark.parametrize(("change", "named"), [
    (lambda r: r["gpc"]["outranked_by"]["methods"].append("banner_accept_all"), "gpc.outranked_by.methods"),
    (lambda r: r["gpc"]["outranked_by"]["actor_types"].append("robot"), "gpc.outranked_by.actor_types"),
    (lambda r: r["gpc"]["outranked_by"]["methods"].append("telepathy"), "gpc.outranked_by.methods"),
    (lambda r: r["methods"]["by_category"].pop("processing"), "methods.by_category: names no methods for processing"),
    (lambda r: r["methods"]["by_category"].update(sweets=["api"]), "methods.by_category.sweets"),
    (lambda r: r["methods"]["by_category"]["cookie"].append("smoke_signal"), "methods.by_category.cookie"),
    (lambda r: r.pop("methods"), "methods: must be an object"),
    (lambda r: r.pop("gpc"), "gpc: must be an object"),
], ids=["accept-all-outranks", "unknown-actor", "unknown-method", "category-missing", "unknown-category",
        "unknown-category-method", "no-methods", "no-gpc"])
def test_a_bad_gpc_or_method_table_stops_the_start(tmp_path, change, named):
    rules = json.loads(DEFAULT_RULES_PATH.read_text())
    change(rules)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_rules(path)


def test_the_shipped_precedence_is_the_persons_own_choice():
    rules = load_rules()
    assert rules.gpc.outranks("subject", Method.BANNER_CUSTOM) and rules.gpc.outranks("subject", Method.API)
    for actor in ("agent", "system", "guardian"):
        assert not rules.gpc.outranks(actor, Method.API)
    for method in (Method.BANNER_ACCEPT_ALL, Method.IMPLIED_BY_CONTINUING, Method.LINKED):
        assert not rules.gpc.outranks("subject", method)
