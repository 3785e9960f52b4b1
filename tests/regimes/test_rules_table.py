"""The rules that make the notices true, case by case: regimes, methods, ages, notices, transfers,
automated decisions, GPC and double opt-in, each answered with its exact `allowed` and `reason`.

A case writes some events through the API (each write may be refused with a code), publishes
notices, then checks; the clock moves a minute between steps so "later" means later.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.regimes.helpers import post_events


def grant(purpose: str, method: str = "api", **context) -> dict:
    return {"events": [{"purpose": purpose, "decision": "granted", "method": method}], **context}


def refuse(purpose: str, method: str = "api", decision: str = "denied", **context) -> dict:
    return {"events": [{"purpose": purpose, "decision": decision, "method": method}], **context}


@dataclass
class Case:
    name: str
    check: dict  # purposes, country, destination_country, gpc, on_behalf_of
    expect: tuple[bool, str]  # for the first purpose checked
    writes: list[dict] = field(default_factory=list)  # bodies; "subject" picks another customer, "error" expects a refusal
    notices: list[dict] = field(default_factory=list)  # published after the writes
    late_writes: list[dict] = field(default_factory=list)  # after the notices


def c(purpose: str, country: str | None = "DE", **extra) -> dict:
    return {"purposes": [purpose], **({"country": country} if country else {}), **extra}


def notice(*purposes: str, material: bool = True) -> dict:
    return {"kind": "privacy", "version": "2026-06-01", "material": material, "purposes": list(purposes),
            "url": "https://example.com/privacy/2026-06-01"}


CASES = [
    # Regimes and defaults
    Case("opt-in country, no answer: analytics needs consent", c("analytics", "DE"), (False, "opt_in_required")),
    Case("opt-out country, no answer: analytics by default", c("analytics", "US"), (True, "default_opt_out")),
    Case("opt-in country, marketing needs consent", c("marketing", "FR"), (False, "opt_in_required")),
    Case("opt-out country, marketing until opt-out", c("marketing", "US"), (True, "default_opt_out")),
    Case("necessary is always on", c("necessary", "DE"), (True, "not_refusable")),
    Case("service notices are always on", c("service_notices", "US"), (True, "not_refusable")),
    Case("unlisted country takes the default regime (opt-in)", c("analytics", "JP"), (False, "opt_in_required")),
    Case("no country and no history: the default regime", c("analytics", None), (False, "opt_in_required")),
    Case("a grant allows", c("marketing"), (True, "granted"), [grant("marketing")]),
    Case("a withdrawal stops it", c("marketing"), (False, "withdrawn"),
         [grant("marketing"), refuse("marketing", decision="withdrawn")]),
    Case("a refusal holds in an opt-out country", c("analytics", "US"), (False, "denied"), [refuse("analytics", country="US")]),
    Case("the subject's last country decides when the check names none", c("analytics", None), (True, "default_opt_out"),
         [refuse("marketing", country="US")]),
    Case("non-refusable purposes cannot be refused", c("service_notices"), (True, "not_refusable"),
         [refuse("service_notices") | {"error": "not_refusable"}]),
    # Recording: "if you don't approve the recording, we won't record it"
    Case("no recording without approval (opt-in)", c("recording", "DE"), (False, "opt_in_required")),
    Case("no recording without approval (opt-out)", c("recording", "US"), (False, "opt_in_required")),
    Case("verbal consent to recording", c("recording"), (True, "granted"), [grant("recording", "verbal", country="DE")]),
    Case("written consent to recording", c("recording"), (True, "granted"), [grant("recording", "written", country="DE")]),
    Case("implied by staying on the call counts where the rules say so, with the notification on record",
         c("recording", "US"), (True, "granted"),
         [grant("recording", "implied_by_continuing", country="US", notified_at="2026-01-15T09:30:00+00:00")]),
    Case("implied consent does not count in an opt-in regime", c("recording", "DE"), (False, "opt_in_required"),
         [grant("recording", "implied_by_continuing", country="DE") | {"error": "method_not_valid"}]),
    Case("withdrawal mid-call stops the recording at once", c("recording"), (False, "withdrawn"),
         [grant("recording", "verbal", country="DE"), refuse("recording", "verbal", decision="withdrawn")]),
    Case("asking not to be recorded after implied consent", c("recording", "US"), (False, "denied"),
         [grant("recording", "implied_by_continuing", country="US", notified_at="2026-01-15T09:30:00+00:00"),
          refuse("recording", "verbal", country="US")]),
    Case("a rejection button never grants", c("analytics"), (False, "opt_in_required"),
         [grant("analytics", "banner_reject_all") | {"error": "method_not_valid"}]),
    # Children (GDPR Art. 8 ages per member state, COPPA 13 in the US)
    Case("a 15-year-old in Germany cannot consent alone", c("marketing"), (False, "opt_in_required"),
         [grant("marketing", country="DE", age=15) | {"error": "minor"}]),
    Case("a guardian consents for a 15-year-old in Germany", c("marketing"), (True, "granted"),
         [grant("marketing", country="DE", age=15, actor={"type": "guardian", "id": "parent-1"})]),
    Case("a known minor gets no default consent", c("analytics", "US"), (False, "minor"),
         [refuse("marketing", country="US", age=12)]),
    Case("a minor's own earlier grant does not count", c("analytics", "US"), (False, "minor"),
         [grant("analytics", country="US", age=14), refuse("marketing", country="US", age=12)]),
    Case("13 is old enough in the US", c("analytics", "US"), (True, "granted"), [grant("analytics", country="US", age=13)]),
    Case("14 is too young in France (15)", c("advertising", "FR"), (False, "opt_in_required"),
         [grant("advertising", country="FR", age=14) | {"error": "minor"}]),
    Case("13 is old enough in the UK", c("marketing", "GB"), (True, "granted"), [grant("marketing", country="GB", age=13)]),
    Case("service notices reach minors too", c("service_notices", "US"), (True, "not_refusable"),
         [refuse("marketing", country="US", age=10)]),
    # Cross-border transfers
    Case("inside the EEA needs no consent", c("cross_border_transfer", "DE", destination_country="FR"), (True, "adequate")),
    Case("to an adequate country needs no consent", c("cross_border_transfer", "DE", destination_country="JP"), (True, "adequate")),
    Case("to the US needs consent from an EEA subject", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required")),
    Case("consent naming the US allows the US", c("cross_border_transfer", "DE", destination_country="US"), (True, "granted"),
         [grant("cross_border_transfer", "written", country="DE", destination_country="US")]),
    Case("consent naming the US does not allow India", c("cross_border_transfer", "DE", destination_country="IN"),
         (False, "opt_in_required"), [grant("cross_border_transfer", "written", country="DE", destination_country="US")]),
    Case("consent to every destination", c("cross_border_transfer", "DE", destination_country="IN"), (True, "granted"),
         [grant("cross_border_transfer", "written", country="DE", destination_country="*")]),
    Case("withdrawing the US consent", c("cross_border_transfer", "DE", destination_country="US"), (False, "withdrawn"),
         [grant("cross_border_transfer", "written", country="DE", destination_country="US"),
          refuse("cross_border_transfer", decision="withdrawn", destination_country="US")]),
    Case("US law does not restrict this transfer", c("cross_border_transfer", "US", destination_country="IN"), (True, "not_required")),
    Case("the UK deems the EEA adequate", c("cross_border_transfer", "GB", destination_country="DE"), (True, "adequate")),
    Case("a transfer consent must name its destination", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required"), [grant("cross_border_transfer", "written", country="DE") | {"error": "validation_error"}]),
    Case("'accept all' never grants a transfer (Art. 49(1)(a))", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required"),
         [grant("cross_border_transfer", "banner_accept_all", country="DE", destination_country="US") | {"error": "method_not_valid"}]),
    # Automated decisions (GDPR Art. 22)
    Case("not enabled by the organization", c("automated_decisions", on_behalf_of="org-1"), (False, "not_enabled")),
    Case("enabled by the organization, no objection", c("automated_decisions", on_behalf_of="org-1"), (True, "not_objected"),
         [grant("automated_decisions") | {"subject": "org-1"}]),
    Case("the person objected", c("automated_decisions", on_behalf_of="org-1"), (False, "objected"),
         [grant("automated_decisions") | {"subject": "org-1"}, refuse("automated_decisions")]),
    Case("without an organization it is the person's own consent", c("automated_decisions"), (False, "opt_in_required")),
    # Global Privacy Control
    Case("GPC needs nothing recorded to keep advertising off", c("advertising", "US", gpc=True), (False, "opt_in_required")),
    Case("GPC outranks an earlier 'accept all'", c("advertising", "US", gpc=True), (False, "gpc"),
         [grant("advertising", "banner_accept_all", country="US")]),
    Case("an explicit per-purpose opt-in outranks GPC", c("advertising", "US", gpc=True), (True, "granted"),
         [grant("advertising", "banner_custom", country="US")]),
    Case("GPC changes nothing where consent is opt-in anyway", c("advertising", "DE", gpc=True), (False, "opt_in_required")),
    Case("GPC on a write is recorded as an opt-out", c("advertising", "US"), (False, "denied"),
         [grant("analytics", country="US", gpc=True)]),
    Case("GPC on a write with an explicit advertising opt-in", c("advertising", "US"), (True, "granted"),
         [grant("advertising", "banner_custom", country="US", gpc=True)]),
    # Notice versions and reconsent
    Case("a material change asks again for opt-in consents", c("marketing"), (False, "reconsent_required"),
         [grant("marketing", country="DE")], [notice("marketing")]),
    Case("a non-material change needs nothing", c("marketing"), (True, "granted"),
         [grant("marketing", country="DE")], [notice("marketing", material=False)]),
    Case("opt-out consents stay allowed after a material change", c("analytics", "US"), (True, "granted"),
         [grant("analytics", country="US")], [notice("analytics")]),
    Case("a material change of another purpose changes nothing", c("marketing"), (True, "granted"),
         [grant("marketing", country="DE")], [notice("analytics")]),
    Case("consent given again after the change", c("marketing"), (True, "granted"),
         [grant("marketing", country="DE")], [notice("marketing")], [grant("marketing", country="DE")]),
    # Double opt-in
    Case("unconfirmed double opt-in", c("marketing"), (False, "pending"), [grant("marketing", "double_opt_in", country="DE")]),
    # Confirmed only from the inbox (tests/preferences): a caller cannot post the confirmation itself.
    Case("a posted confirmation does not confirm a double opt-in", c("marketing"), (False, "pending"),
         [grant("marketing", "double_opt_in", country="DE"),
          grant("marketing", "double_opt_in_confirmed") | {"error": "method_not_valid"}]),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule(case: Case, client, auth, clock):
    headers = auth("consents:read", "consents:write", "admin")
    for body in case.writes:
        post_events(client, headers, clock, dict(body))
    for published in case.notices:
        clock.advance(minutes=1)
        assert client.post("/v1/notices", json=published, headers=headers).status_code == 201
    for body in case.late_writes:
        post_events(client, headers, clock, dict(body))
    clock.advance(minutes=1)
    check = {"subject": {"kind": "customer", "id": "c-1"}, **case.check}
    answer = client.post("/v1/checks", json=check, headers=headers)
    assert answer.status_code == 200, answer.json
    decision = answer.json["decisions"][case.check["purposes"][0]]
    assert (decision["allowed"], decision["reason"]) == case.expect


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
