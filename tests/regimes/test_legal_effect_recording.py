"""Automated decisions with legal effect and recording notification (issue 17, class 7 and "What to build").

A decision with legal or similarly significant effect (`legal_effect: true`) needs, where the regime's
law wants more than no objection (GDPR Art. 22), explicit consent (a grant by one of the regime's
`legal_effect.explicit_consent_methods`) or the operator's declared contract necessity; under the US
state laws (an opt-out of profiling) no objection suffices, and never more leniently than without
legal effect. An implied grant of recording counts only with the notification the caller heard on
record (`notified_at` with the event's `notice_version`); where every party must consent a default
never allows recording, and every recording answer says which rule held (`recording_consent`).
"""
from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from consent_service.config import ConfigError
from consent_service.consents import chain
from consent_service.consents import service as consents
from consent_service.consents.store import StateRow
from consent_service.consents.state import Circumstances, effective
from consent_service.extensions import db
from consent_service.flows.record_consent import record_consent
from consent_service.ledger import service as ledger
from consent_service.notices.service import MaterialChange
from consent_service.purposes.models import Purpose
from consent_service.regimes.service import DEFAULT_RULES_PATH, load_rules, parse_rules
from consent_service.runtime import runtime
from consent_service.vocabulary import Decision, Method, Necessity, Reason

RULES = load_rules()
SHIPPED = json.loads(DEFAULT_RULES_PATH.read_text())
AT = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)
AUTOMATED = Purpose(key="automated_decisions", name="Automated decisions", category="processing",
                    legal_basis="consent", refusable=True, defaults={"opt_in": "denied", "opt_out": "denied"})
RECORDING = Purpose(key="recording", name="Recording", category="processing", legal_basis="consent",
                    refusable=True, defaults={"opt_in": "denied", "opt_out": "denied"})


def state(purpose: str, method: str, decision: str = "granted", notified_at: datetime | None = None,
          regime: str = "opt_in") -> StateRow:
    return StateRow(purpose=purpose, decision=decision, method=method, notice_version="v1", regime=regime,
                    property_key=None, actor_type="subject", revision=1, updated_at=AT, destinations=None,
                    notified_at=notified_at)


def circumstances(regime: str = "opt_in", rules=RULES, **extra) -> Circumstances:
    return Circumstances(regime=regime, policy=rules.policy(regime),
                         notified_methods=rules.recording.notified_methods, **extra)


def answer(purpose, row, c) -> tuple[bool, str]:
    result = effective(purpose, row, c)
    return result.allowed, str(result.reason)


# The rules file: what counts as explicit consent is data, with its source.

def test_the_shipped_rules_say_what_a_decision_with_legal_effect_needs_per_regime():
    assert RULES.policy("opt_in").legal_effect_consent_methods == {"preference_page", "api", "verbal", "written"}
    assert RULES.policy("opt_out").legal_effect_consent_methods is None  # an opt-out law
    assert RULES.recording.notified_methods == {Method.IMPLIED_BY_CONTINUING}
    for regime in SHIPPED["regimes"].values():
        assert "Art. 22" in regime["legal_effect"]["source"] or "6-1-1306" in regime["legal_effect"]["source"]
    assert "notified_at" in SHIPPED["recording"]["source"]


def _broken(change) -> str:
    rules = copy.deepcopy(SHIPPED)
    change(rules)
    with pytest.raises(ConfigError) as failed:
        parse_rules(rules)
    return str(failed.value)


def test_a_blanket_method_is_never_explicit_consent():
    message = _broken(lambda r: r["regimes"]["opt_in"]["legal_effect"]["explicit_consent_methods"].append(
        "banner_accept_all"))
    assert "regimes.opt_in.legal_effect.explicit_consent_methods" in message and "banner_accept_all" in message


@pytest.mark.parametrize("change, where", [
    (lambda r: r["regimes"]["opt_in"]["legal_effect"].update(needs="maybe"), "regimes.opt_in.legal_effect.needs"),
    (lambda r: r["regimes"]["opt_in"]["legal_effect"].pop("source"), "regimes.opt_in.legal_effect.source"),
    (lambda r: r["regimes"]["opt_out"]["legal_effect"].update(explicit_consent_methods=["api"]),
     "regimes.opt_out.legal_effect.explicit_consent_methods"),
    (lambda r: r["regimes"]["opt_in"]["legal_effect"].update(extra=1), "regimes.opt_in.legal_effect"),
    (lambda r: r["recording"].pop("source"), "recording.source"),
    (lambda r: r["recording"].update(notified_methods=["smoke"]), "recording.notified_methods[0]"),
])
def test_a_bad_legal_effect_or_recording_rule_stops_the_start_naming_it(change, where):
    assert where in _broken(change)


def test_a_regime_that_says_nothing_of_legal_effect_fails_closed():
    rules = copy.deepcopy(SHIPPED)
    del rules["regimes"]["opt_out"]["legal_effect"]
    lax = parse_rules(rules)
    c = circumstances("opt_out", rules=lax, legal_effect=True, organization_enabled=True)
    assert answer(AUTOMATED, None, c) == (False, "explicit_consent_required")
    assert answer(AUTOMATED, None, dataclasses.replace(c, necessity=Necessity.CONTRACT)) == (True, "contract_necessity")


# Automated decisions, decided directly.

@pytest.mark.parametrize("row, extra, expect", [
    (None, {}, (False, "explicit_consent_required")),
    (None, {"organization_enabled": True}, (False, "explicit_consent_required")),
    (state("automated_decisions", "implied_by_continuing"), {}, (False, "explicit_consent_required")),
    (state("automated_decisions", "gpc"), {}, (False, "explicit_consent_required")),
    (state("automated_decisions", "written"), {}, (True, "granted")),
    (state("automated_decisions", "preference_page"), {"organization_enabled": True}, (True, "granted")),
    (None, {"necessity": Necessity.CONTRACT}, (True, "contract_necessity")),
    (state("automated_decisions", "api", "denied"), {"necessity": Necessity.CONTRACT}, (False, "objected")),
    (state("automated_decisions", "written"), {"organization_enabled": False}, (False, "not_enabled")),
    (None, {"organization_enabled": False, "necessity": Necessity.CONTRACT}, (False, "not_enabled")),
])
def test_a_decision_with_legal_effect_in_an_opt_in_regime(row, extra, expect):
    assert answer(AUTOMATED, row, circumstances(legal_effect=True, **extra)) == expect


def test_a_minor_is_never_subject_to_one_whatever_is_declared_or_granted():
    c = circumstances(legal_effect=True, age=17, minors=RULES.minor_rules("DE"), necessity=Necessity.CONTRACT)
    assert answer(AUTOMATED, state("automated_decisions", "written"), c) == (False, "minor")


def test_explicit_consent_given_before_a_material_notice_change_is_asked_again():
    change = MaterialChange(property_key=None, purposes=frozenset({"automated_decisions"}),
                            published_at=AT + timedelta(days=1))
    c = circumstances(legal_effect=True, material_changes=(change,))
    result = effective(AUTOMATED, state("automated_decisions", "written"), c)
    assert (result.allowed, result.reason, result.reconsent_required) == (False, Reason.RECONSENT_REQUIRED, True)


@pytest.mark.parametrize("row, extra, expect", [
    (None, {"organization_enabled": True}, (True, "not_objected")),
    (state("automated_decisions", "api", "denied", regime="opt_out"), {"organization_enabled": True},
     (False, "objected")),
    # Without an organization, legal effect answers exactly as without it: never more leniently.
    (None, {}, (False, "opt_in_required")),
    (state("automated_decisions", "implied_by_continuing", regime="opt_out"), {}, (True, "granted")),
    (None, {"necessity": Necessity.CONTRACT}, (True, "contract_necessity")),
])
def test_a_decision_with_legal_effect_under_a_us_opt_out_law(row, extra, expect):
    assert answer(AUTOMATED, row, circumstances("opt_out", legal_effect=True, **extra)) == expect


@pytest.mark.parametrize("regime, row, extra, basis", [
    ("opt_in", state("automated_decisions", "written"), {}, "consent"),
    ("opt_in", None, {"necessity": Necessity.CONTRACT}, "contract"),
    ("opt_out", None, {"necessity": Necessity.CONTRACT}, "contract"),
    ("opt_out", None, {"organization_enabled": True}, "not_required"),  # an opt-out law asks for nothing more
    ("opt_in", None, {"organization_enabled": True}, None),
])
def test_the_basis_a_decision_with_legal_effect_is_allowed_on(regime, row, extra, basis):
    result = effective(AUTOMATED, row, circumstances(regime, legal_effect=True, **extra))
    assert (None if result.basis is None else str(result.basis)) == basis


def test_without_legal_effect_the_answers_are_as_before():
    c = circumstances(organization_enabled=True)
    assert answer(AUTOMATED, None, c) == (True, "not_objected")
    assert answer(AUTOMATED, None, circumstances()) == (False, "opt_in_required")
    assert answer(AUTOMATED, state("automated_decisions", "implied_by_continuing"), c) == (True, "not_objected")


# Recording, decided directly.

def test_an_implied_recording_grant_counts_only_with_its_notification():
    c = circumstances("opt_out")
    implied = state("recording", "implied_by_continuing", regime="opt_out")
    assert answer(RECORDING, implied, c) == (False, "notification_missing")
    assert answer(RECORDING, dataclasses.replace(implied, notified_at=AT), c) == (True, "granted")
    assert answer(RECORDING, state("recording", "verbal", regime="opt_out"), c) == (True, "granted")


def _opt_out_recording(all_parties: bool):
    """The shipped rules with recording granted by default under opt-out (an operator's choice), and the
    US policy's recording rule as a two-party-consent state's would have it (H1 supplies those)."""
    rules = copy.deepcopy(SHIPPED)
    rules["regimes"]["opt_out"]["purposes"]["recording"] = {"default": "granted", "source": "operator's notice"}
    loaded = parse_rules(rules)
    policy = dataclasses.replace(loaded.policy("opt_out"), recording_all_parties=all_parties)
    return Circumstances(regime="opt_out", policy=policy, notified_methods=loaded.recording.notified_methods)


def test_where_every_party_must_consent_a_default_never_allows_recording():
    one, every = _opt_out_recording(False), _opt_out_recording(True)
    assert (effective(RECORDING, None, one).allowed, effective(RECORDING, None, one).recording_consent) == (
        True, "one_party")
    result = effective(RECORDING, None, every)
    assert (result.allowed, result.reason, result.recording_consent) == (False, Reason.OPT_IN_REQUIRED, "all_parties")
    notified = state("recording", "implied_by_continuing", regime="opt_out", notified_at=AT)
    assert answer(RECORDING, notified, every) == (True, "granted")
    assert answer(RECORDING, dataclasses.replace(notified, notified_at=None), every) == (False, "notification_missing")


def test_only_recording_answers_say_whose_consent_it_needs():
    assert effective(AUTOMATED, None, circumstances()).recording_consent is None
    assert effective(RECORDING, None, circumstances()).recording_consent == "one_party"


# The chain: old events hash as they did.

def test_an_event_without_notification_hashes_as_before_and_one_with_it_proves_it():
    event = chain.EventValues(
        id="evt_1", subject_id=1, revision=1, purpose="recording", decision="granted", method="verbal",
        notice_version="v1", regime="opt_out", country="US", destination_country=None, age=None, property_key=None,
        language=None, banner_version=None, actor_type="subject", personal_digest="d" * 64, recorded_at=AT,
        notified_at=None, region=None,
    )
    assert "notified_at" not in chain.content(event)
    before = chain.link_hash(chain.GENESIS, event)
    event.notified_at = AT
    assert chain.content(event)["notified_at"] == "2026-01-15T09:00:00.000000Z"
    assert chain.link_hash(chain.GENESIS, event) != before


# Through the API.

NOTIFIED = "2026-01-15T09:29:00+00:00"  # a minute before the test clock starts


def _write(client, headers, body, subject="c-1"):
    body = {"notice_version": "call-2026-01", **body}
    return client.post(f"/v1/subjects/customer/{subject}/consent-events", json=body, headers=headers)


def _implied(**context) -> dict:
    return {"events": [{"purpose": "recording", "decision": "granted", "method": "implied_by_continuing"}],
            "country": "US", **context}


def _check(client, headers, purposes=("recording",), **extra):
    body = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": list(purposes), **extra}
    response = client.post("/v1/checks", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _history(client, headers):
    return client.get("/v1/subjects/customer/c-1/consent-events", headers=headers).json["events"]


def test_an_implied_recording_grant_without_its_notification_is_refused_and_nothing_written(client, full_access):
    refused = _write(client, full_access, _implied())
    assert refused.status_code == 422
    assert refused.json["code"] == "notification_required"
    assert "notified_at" in refused.json["errors"]
    assert client.get("/v1/subjects/customer/c-1/consent-events", headers=full_access).json["events"] == []


@pytest.mark.parametrize("notified_at", ["2026-01-15T09:31:00+00:00", "2026-01-15T09:29:00", "yesterday"])
def test_a_notification_in_the_future_or_without_a_zone_is_refused(client, full_access, notified_at):
    refused = _write(client, full_access, _implied(notified_at=notified_at))
    assert refused.status_code == 422 and "notified_at" in refused.json["errors"]
    assert _history(client, full_access) == []


def test_an_implied_recording_grant_with_its_notification_counts_and_is_kept(client, full_access, clock):
    written = _write(client, full_access, _implied(notified_at=NOTIFIED))
    assert written.status_code == 201, written.json
    clock.advance(minutes=1)
    # Another write of the subject: its states are read back (on PostgreSQL as JSON) and kept.
    assert _write(client, full_access, {"events": [{"purpose": "marketing", "decision": "denied",
                                                    "method": "api"}], "country": "US"}).status_code == 201
    assert _check(client, full_access, country="US") == {"allowed": True, "decisions": {"recording": {
        "allowed": True, "reason": "granted", "basis": "consent", "rule": "event", "recording_consent": "one_party"}},
        "jurisdiction": "US"}
    events = _history(client, full_access)
    assert [e["notified_at"] for e in events] == [None, "2026-01-15T09:29:00+00:00"]
    assert events[1]["notice_version"] == "call-2026-01"
    assert ledger.verify(session=db.session).ok


def test_an_old_implied_grant_without_notification_no_longer_allows(client, full_access, clock):
    """Written before the rule (here: under rules without a `recording` section), it stays as it is:
    the answer changes, the evidence does not."""
    before = parse_rules({key: value for key, value in SHIPPED.items() if key != "recording"})
    record_consent(
        session=db.session, kind="customer", external_id="c-1",
        events=[consents.EventInput("recording", Decision.GRANTED, Method.IMPLIED_BY_CONTINUING)],
        context=consents.EventContext(notice_version="call-2019", country="US"), rules=before, now=clock())
    db.session.commit()
    assert _check(client, full_access, country="US")["decisions"]["recording"] == {
        "allowed": False, "reason": "notification_missing", "basis": None, "rule": "recording.notified_methods",
        "recording_consent": "one_party"}
    assert [(e["method"], e["notified_at"]) for e in _history(client, full_access)] == [
        ("implied_by_continuing", None)]
    assert runtime().rules.recording.notified_methods  # the app's rules are the shipped ones
    assert ledger.verify(session=db.session).ok


def test_implied_consent_is_still_not_consent_in_an_opt_in_regime(client, full_access):
    refused = _write(client, full_access, _implied(country="DE", notified_at=NOTIFIED))
    assert refused.status_code == 422 and refused.json["code"] == "method_not_valid"


def test_a_decision_with_legal_effect_in_germany_needs_explicit_consent(client, full_access, clock):
    assert _check(client, full_access, ["automated_decisions"], country="DE", legal_effect=True)["decisions"] == {
        "automated_decisions": {"allowed": False, "reason": "explicit_consent_required", "basis": None,
                                "rule": "regimes.opt_in.legal_effect.explicit_consent_methods"}}
    assert _check(client, full_access, ["automated_decisions"], country="DE", legal_effect=True,
                  necessity="contract")["decisions"]["automated_decisions"] == {
        "allowed": True, "reason": "contract_necessity", "basis": "contract", "rule": "automated_decisions.necessity"}
    assert _write(client, full_access, {"events": [{"purpose": "automated_decisions", "decision": "granted",
                                                    "method": "written"}], "country": "DE"}).status_code == 201
    clock.advance(minutes=1)
    batch = client.post("/v1/checks", headers=full_access, json={"checks": [
        {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["automated_decisions"], "country": "DE",
         "legal_effect": True},
        {"subject": {"kind": "customer", "id": "c-2"}, "purposes": ["automated_decisions"], "country": "DE",
         "legal_effect": True, "necessity": "contract"},
        {"subject": {"kind": "customer", "id": "c-2"}, "purposes": ["automated_decisions"], "country": "DE",
         "legal_effect": True},
    ]})
    assert [(d["reason"], d["basis"]) for d in (r["decisions"]["automated_decisions"] for r in batch.json["results"])] == [
        ("granted", "consent"), ("contract_necessity", "contract"), ("explicit_consent_required", None)]


def test_an_organizations_decision_with_legal_effect_in_germany_needs_explicit_consent(client, full_access, clock):
    assert _write(client, full_access, {"events": [{"purpose": "automated_decisions", "decision": "granted",
                                                    "method": "api"}], "country": "DE"}, subject="org-1").status_code == 201
    clock.advance(minutes=1)
    asked = {"on_behalf_of": "org-1", "country": "DE"}
    assert _check(client, full_access, ["automated_decisions"], **asked)["decisions"]["automated_decisions"] == {
        "allowed": True, "reason": "not_objected", "basis": "legitimate_interest", "rule": "automated_decisions.objection"}
    assert _check(client, full_access, ["automated_decisions"], legal_effect=True, **asked)["decisions"][
        "automated_decisions"] == {"allowed": False, "reason": "explicit_consent_required", "basis": None,
                                   "rule": "regimes.opt_in.legal_effect.explicit_consent_methods"}


@pytest.mark.parametrize("extra", [{"necessity": "contract"}, {"necessity": "contract", "legal_effect": False},
                                   {"legal_effect": True, "necessity": "vital_interest"}])
def test_a_necessity_is_declared_only_for_a_decision_with_legal_effect(client, full_access, extra):
    body = {"subject": {"kind": "customer", "id": "c-1"}, "purposes": ["automated_decisions"], **extra}
    for sent in (body, {"checks": [body]}):
        refused = client.post("/v1/checks", json=sent, headers=full_access)
        assert refused.status_code == 422, refused.json
