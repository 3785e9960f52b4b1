"""Issue 17 class 6: the legal bases of transfers. Per exporting region (rules: transfers) a transfer is
free inside it and to its adequate destinations, allowed by a named recipient's safeguard the region
recognizes (DPF certification, SCCs, BCRs), else only by a consent naming the destination; a consent
to "*" is refused where the regime wants destinations named, and one recorded earlier no longer allows.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_service.config import ConfigError
from consent_service.consents.models import ConsentEvent
from consent_service.extensions import db
from consent_service.regimes.service import load_rules
from tests.regimes.helpers import post_events, rules_with

DPF_US = {"key": "acme-us", "name": "Acme Inc.", "country": "US", "dpf_certified": True}
SCC_US = {"key": "mailer-us", "name": "Mailer Inc.", "country": "US", "scc": "2025-03-01"}
BCR_IN = {"key": "group-in", "name": "Group India Pvt Ltd", "country": "IN", "bcr": True}


def transfer(country: str | None, **extra) -> dict:
    return {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["cross_border_transfer"],
            **({"country": country} if country else {}), **extra}


def decision(client, headers, body: dict) -> dict:
    answer = client.post("/v1/checks", json=body, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["decisions"]["cross_border_transfer"]


@pytest.fixture
def headers(auth):
    return auth("admin", "consents:read", "consents:write")


@pytest.fixture
def registered(client, headers):
    for recipient in (DPF_US, SCC_US, BCR_IN):
        assert client.post("/v1/recipients", json=recipient, headers=headers).status_code == 201


def test_brazil_restricts_transfers_lgpd_art_33(client, headers, clock):
    """Before: Brazil -> US answered not_required (no transfer region for BR)."""
    assert decision(client, headers, transfer("BR", destination_country="US"))["reason"] == "opt_in_required"
    post_events(client, headers, clock, {"events": [{"purpose": "cross_border_transfer", "decision": "granted",
                                                     "method": "written"}], "country": "BR", "destination_country": "US"})
    assert decision(client, headers, transfer("BR", destination_country="US"))["reason"] == "granted"
    assert decision(client, headers, transfer("BR", destination_country="IN"))["reason"] == "opt_in_required"


def test_a_recipient_safeguard_counts_only_where_the_exporting_law_recognizes_it(client, headers, registered):
    assert decision(client, headers, transfer("DE", recipient="acme-us"))["reason"] == "safeguarded"
    assert decision(client, headers, transfer("GB", recipient="acme-us"))["reason"] == "safeguarded"
    assert decision(client, headers, transfer("CH", recipient="acme-us"))["reason"] == "safeguarded"
    # Brazil and Japan do not recognize the Data Privacy Framework; SCCs and BCRs they do.
    assert decision(client, headers, transfer("BR", recipient="acme-us"))["reason"] == "opt_in_required"
    assert decision(client, headers, transfer("JP", recipient="acme-us"))["reason"] == "opt_in_required"
    assert decision(client, headers, transfer("BR", recipient="mailer-us"))["reason"] == "safeguarded"
    assert decision(client, headers, transfer("JP", recipient="group-in"))["reason"] == "safeguarded"
    # The DPF covers certified recipients only: the US as such is no adequate destination.
    assert decision(client, headers, transfer("DE", destination_country="US"))["reason"] == "opt_in_required"


def test_an_answer_names_its_basis_its_rule_and_the_recipient(client, headers, registered, clock):
    assert decision(client, headers, transfer("DE", recipient="acme-us")) == {
        "allowed": True, "reason": "safeguarded", "basis": "dpf_certified", "rule": "recipients.acme-us.dpf_certified",
        "recipient": "acme-us"}
    assert decision(client, headers, transfer("BR", recipient="acme-us")) == {
        "allowed": False, "reason": "opt_in_required", "basis": None, "rule": "transfers.BR", "recipient": "acme-us"}
    assert decision(client, headers, transfer("GB", recipient="group-in")) == {
        "allowed": True, "reason": "safeguarded", "basis": "bcr", "rule": "recipients.group-in.bcr", "recipient": "group-in"}
    assert decision(client, headers, transfer("JP", destination_country="FR")) == {
        "allowed": True, "reason": "adequate", "basis": "adequacy", "rule": "transfers.JP.adequate"}
    post_events(client, headers, clock, {"events": [{"purpose": "cross_border_transfer", "decision": "granted",
                                                     "method": "written"}], "country": "BR", "destination_country": "IN"})
    assert decision(client, headers, transfer("BR", destination_country="IN")) == {
        "allowed": True, "reason": "granted", "basis": "consent", "rule": "event"}
    # Other purposes of the same check name no recipient.
    both = client.post("/v1/checks", json=transfer("DE", recipient="acme-us") | {
        "purposes": ["cross_border_transfer", "analytics"]}, headers=headers).json["decisions"]
    assert "recipient" not in both["analytics"] and both["cross_border_transfer"]["recipient"] == "acme-us"


def test_the_recipient_gives_the_destination_and_must_be_where_the_check_says(client, headers, registered):
    assert decision(client, headers, transfer("DE", recipient="group-in", destination_country="IN"))["allowed"] is True
    elsewhere = client.post("/v1/checks", json=transfer("DE", recipient="group-in", destination_country="US"),
                            headers=headers)
    assert (elsewhere.status_code, elsewhere.json["code"]) == (422, "recipient_country_mismatch")
    assert list(elsewhere.json["errors"]) == ["destination_country"]
    unknown = client.post("/v1/checks", json={"checks": [transfer("DE", recipient="acme-us"),
                                                         transfer("DE", recipient="nobody")]}, headers=headers)
    assert (unknown.status_code, unknown.json["code"]) == (422, "unknown_recipient")
    assert list(unknown.json["errors"]) == ["checks.1.recipient"]
    bad_key = client.post("/v1/checks", json=transfer("DE", recipient="Not A Key"), headers=headers)
    assert (bad_key.status_code, list(bad_key.json["errors"])) == (422, ["recipient"])


def test_a_recipient_registered_by_another_process_is_known_at_once(client, headers, app_with):
    """The other process's snapshot holds no such recipient; it reloads before refusing the name."""
    other = app_with()
    with other.app_context():
        other_client = other.test_client()
        assert decision(other_client, headers, transfer("DE", destination_country="US"))["allowed"] is False
        assert client.post("/v1/recipients", json=DPF_US, headers=headers).status_code == 201
        assert decision(other_client, headers, transfer("DE", recipient="acme-us"))["reason"] == "safeguarded"
        client.patch("/v1/recipients/acme-us", json={"dpf_certified": False}, headers=headers)
        assert decision(other_client, headers, transfer("DE", recipient="acme-us"))["reason"] == "opt_in_required"


def test_a_recipient_losing_its_certification_changes_answers_never_events(client, headers, clock, registered):
    post_events(client, headers, clock, {"events": [{"purpose": "cross_border_transfer", "decision": "denied",
                                                     "method": "written"}], "country": "DE", "destination_country": "US"})
    before = client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json
    # A refused consent does not stop a transfer a safeguard allows: the safeguard is its basis.
    assert decision(client, headers, transfer("DE", recipient="acme-us"))["reason"] == "safeguarded"
    client.patch("/v1/recipients/acme-us", json={"dpf_certified": False}, headers=headers)
    assert decision(client, headers, transfer("DE", recipient="acme-us"))["reason"] == "denied"
    assert client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json == before


def test_a_consent_to_every_destination_is_refused_where_destinations_are_named(client, headers, clock):
    body = {"events": [{"purpose": "cross_border_transfer", "decision": "granted", "method": "written"}],
            "destination_country": "*"}
    post_events(client, headers, clock, body | {"country": "DE", "error": "destination_not_named"})
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
    # US law restricts no transfer: the opt-out regime accepts "*" (rules: all_destinations defaults to true there).
    post_events(client, headers, clock, body | {"country": "US", "subject": "c-us"})
    # A refusal of every destination is always accepted.
    post_events(client, headers, clock, {**body, "events": [{"purpose": "cross_border_transfer", "decision": "withdrawn",
                                                             "method": "written"}], "country": "DE"})


def test_an_earlier_consent_to_every_destination_stays_as_evidence_and_no_longer_allows(
        client, headers, clock, app_with, tmp_path):
    def accept_every_destination(rules: dict) -> None:
        rules["regimes"]["opt_in"]["purposes"]["cross_border_transfer"]["all_destinations"] = True

    lenient = app_with(rules_file=rules_with(tmp_path, accept_every_destination))
    body = {"events": [{"purpose": "cross_border_transfer", "decision": "granted", "method": "written"}],
            "country": "DE", "destination_country": "*"}
    with lenient.app_context():
        post_events(lenient.test_client(), headers, clock, body)
        answer = decision(lenient.test_client(), headers, transfer("DE", destination_country="IN"))
        assert (answer["allowed"], answer["reason"]) == (True, "granted")
    events = client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json["events"]
    assert [(e["decision"], e["destination_country"]) for e in events] == [("granted", "*")]
    assert decision(client, headers, transfer("DE", destination_country="IN")) == {
        "allowed": False, "reason": "destination_not_named", "basis": None,
        "rule": "regimes.opt_in.purposes.cross_border_transfer.all_destinations"}
    state = client.get("/v1/subjects/customer/c-1/consents?country=DE", headers=headers).json
    assert state["consents"]["cross_border_transfer"]["decision"] == "granted"
    # Inside the region and to adequate destinations nothing is needed anyway.
    assert decision(client, headers, transfer("DE", destination_country="JP"))["allowed"] is True
    assert client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json["events"] == events


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["transfers"]["EEA"].pop("source"), "transfers.EEA.source"),
        (lambda r: r["transfers"]["BR"].update(consent=""), "transfers.BR.consent"),
        (lambda r: r["transfers"]["GB"].pop("adequate_source"), "transfers.GB.adequate_source"),
        (lambda r: r["transfers"]["CH"]["safeguards"].update(dpf_certified=None), "transfers.CH.safeguards.dpf_certified"),
        (lambda r: r["transfers"]["JP"]["safeguards"].update(privacy_shield="2016/1250"),
         "transfers.JP.safeguards.privacy_shield: not a recipient safeguard"),
        (lambda r: r["transfers"]["BR"].update(adequacy=["PT"]), r"transfers.BR: unknown keys \['adequacy'\]"),
        (lambda r: r["transfers"]["JP"]["countries"].append("DE"), r"transfers.JP.countries\[1\]: DE is already in EEA"),
        (lambda r: r["regimes"]["opt_in"]["purposes"]["cross_border_transfer"].update(all_destinations="no"),
         "regimes.opt_in.purposes.cross_border_transfer.all_destinations: must be true or false"),
        (lambda r: r["regimes"]["opt_in"]["purposes"]["cross_border_transfer"].pop("source"),
         "regimes.opt_in.purposes.cross_border_transfer.source"),
        (lambda r: r["regimes"]["opt_in"]["purposes"]["advertising"].update(all_destinations=True),
         "regimes.opt_in.purposes.advertising.all_destinations: only cross_border_transfer"),
    ],
)
def test_every_transfer_rule_cites_its_source_and_a_bad_one_stops_the_start(tmp_path, change, named):
    with pytest.raises(ConfigError, match=named):
        load_rules(rules_with(tmp_path, change))


def test_the_shipped_transfer_rules():
    rules = load_rules()
    assert [region.name for region in rules.transfer_regions] == ["EEA", "GB", "CH", "BR", "JP"]
    assert {region.name: region.safeguards for region in rules.transfer_regions} == {
        "EEA": ("dpf_certified", "scc", "bcr"), "GB": ("dpf_certified", "scc", "bcr"),
        "CH": ("dpf_certified", "scc", "bcr"), "BR": ("scc", "bcr"), "JP": ("scc", "bcr")}
    assert rules.transfer_region("BR").adequate == frozenset()
    assert "US" not in set().union(*(region.adequate for region in rules.transfer_regions))
    assert rules.transfer_region("US") is None
    assert {regime.value: policy.all_destinations for regime, policy in rules.policies.items()} == {
        "opt_in": False, "opt_out": True}
