"""Minors (issue 17, class 3): jurisdiction x purpose x age x actor. The age a subject stated is kept
with when it was stated and read for the jurisdiction of each check (the stated age plus the full
years since, a lower bound); the law's age rules (GDPR Art. 8 per member state, COPPA 13, CCPA
sale/sharing opt-in under 16, GDPR Recital 71 for automated decisions) and the operator's stricter
policy (the rules file's `policy.minors`) decide what still allows."""
from __future__ import annotations

from tests.regimes.answer_table import Case, c, grant, wait

GUARDIAN = {"type": "guardian", "id": "parent-1"}
AGENT = {"type": "agent", "id": "agent-7"}


def states_age(age: int, country: str) -> dict:
    """A write that only states the subject's age (a refusal of a purpose no case checks)."""
    return {"events": [{"purpose": "preferences", "decision": "denied", "method": "api"}],
            "age": age, "country": country}


def later(days: int) -> dict:
    return wait(days)


CASES = [
    # CCPA: no sale or sharing under 16 without an opt-in (Cal. Civ. Code 1798.120(c)); COPPA 13 below that.
    Case("US 14, advertising, nothing recorded: opt-in needed", c("advertising", "US"), (False, "minor", None),
         [states_age(14, "US")]),
    Case("US 15, advertising, nothing recorded: opt-in needed", c("advertising", "US"), (False, "minor", None),
         [states_age(15, "US")]),
    Case("US 13, advertising under GPC, nothing recorded", c("advertising", "US", gpc=True), (False, "minor", None),
         [states_age(13, "US")]),
    Case("US 14, advertising, their own opt-in allows", c("advertising", "US"), (True, "granted", "consent"),
         [grant("advertising", "banner_custom", country="US", age=14)]),
    Case("US 12, advertising, their own opt-in is refused (COPPA)", c("advertising", "US"), (False, "minor", None),
         [states_age(12, "US"), grant("advertising", "banner_custom", country="US", age=12) | {"error": "minor"}]),
    Case("US 12, advertising, a guardian's opt-in allows", c("advertising", "US"), (True, "granted", "consent"),
         [grant("advertising", country="US", age=12, actor=GUARDIAN)]),
    Case("US 14, analytics: the CCPA age is for sale and sharing only", c("analytics", "US"), (True, "default_opt_out", "not_required"),
         [states_age(14, "US")]),
    Case("US 14 stated, 2 years on: 16, the CCPA age no longer applies", c("analytics", "US"), (True, "default_opt_out", "not_required"),
         [states_age(14, "US"), later(2 * 366)]),
    Case("US 15 stated, 364 days on: maybe still 15, advertising still needs the opt-in", c("advertising", "US"),
         (False, "minor", None), [states_age(15, "US"), later(364)]),
    Case("DE 16, advertising: no CCPA age outside the US", c("advertising", "DE"), (False, "opt_in_required", None),
         [states_age(16, "DE")]),
    # The age is re-read for the jurisdiction of the check, not fixed where it was stated.
    Case("14 stated in the US, own grant, checked in Germany (16)", c("marketing", "DE"), (False, "minor", None),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in the US, own grant, checked in France (15)", c("analytics", "FR"), (False, "minor", None),
         [grant("analytics", country="US", age=14)]),
    Case("14 stated in the US, own grant, checked in the US", c("marketing", "US"), (True, "granted", "consent"),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in Germany, nothing recorded, checked in the US (13)", c("analytics", "US"),
         (True, "default_opt_out", "not_required"), [states_age(14, "DE")]),
    Case("14 stated in Germany, checked in the UK (13): their own grant counts", c("marketing", "GB"),
         (True, "granted", "consent"), [states_age(14, "DE"), grant("marketing", country="GB")]),
    Case("14 stated in the US, checked in Japan (default age 16)", c("marketing", "JP"), (False, "minor", None),
         [grant("marketing", country="US", age=14)]),
    Case("14 stated in the US, checked with no country: the subject's last country", c("marketing", None),
         (True, "granted", "consent"), [grant("marketing", country="US", age=14)]),
    Case("12 stated in the US, 2 years on checked in Germany: 14 is under 16", c("marketing", "DE"), (False, "minor", None),
         [states_age(12, "US"), later(2 * 366)]),
    Case("15 stated in the US, own grant, 364 days on in Germany: still maybe 15", c("marketing", "DE"),
         (False, "minor", None), [grant("marketing", country="US", age=15), later(364)]),
    Case("15 stated in the US, own grant, 366 days on in Germany: 16", c("marketing", "DE"), (True, "granted", "consent"),
         [grant("marketing", country="US", age=15), later(366)]),
    # Automated decisions never concern a child (GDPR Recital 71): under 18, whoever asks or consents.
    Case("on behalf of an organization, a 14-year-old in the US", c("automated_decisions", "US", on_behalf_of="org-1"),
         (False, "minor", None), [grant("automated_decisions") | {"subject": "org-1"}, states_age(14, "US")]),
    Case("on behalf of an organization, a 17-year-old in Germany", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (False, "minor", None), [grant("automated_decisions") | {"subject": "org-1"}, states_age(17, "DE")]),
    Case("on behalf of an organization, 17 stated a year ago: 18", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (True, "not_objected", "legitimate_interest"),
         [grant("automated_decisions") | {"subject": "org-1"}, states_age(17, "DE"), later(366)]),
    Case("on behalf of an organization, an adult", c("automated_decisions", "DE", on_behalf_of="org-1"),
         (True, "not_objected", "legitimate_interest"), [grant("automated_decisions") | {"subject": "org-1"}, states_age(30, "DE")]),
    Case("a 17-year-old's own consent to automated decisions", c("automated_decisions", "DE"), (False, "minor", None),
         [states_age(17, "DE"), grant("automated_decisions", country="DE", age=17) | {"error": "minor"}]),
    Case("a guardian's consent to automated decisions for a 15-year-old", c("automated_decisions", "US"),
         (False, "minor", None),
         [states_age(15, "US"), grant("automated_decisions", country="US", age=15, actor=GUARDIAN) | {"error": "minor"}]),
    Case("an 18-year-old's own consent to automated decisions", c("automated_decisions", "DE"), (True, "granted", "consent"),
         [grant("automated_decisions", country="DE", age=18)]),
    Case("an earlier adult grant, then 17 stated: no automated decisions", c("automated_decisions", "DE"),
         (False, "minor", None), [grant("automated_decisions", country="DE"), states_age(17, "DE")]),
    # The shipped operator policy: no one under 16 in the EEA (the notices), no recording under 16.
    Case("Denmark 13, own grant: the EEA policy says 16", c("marketing", "DK"), (False, "minor", None),
         [states_age(13, "DK"), grant("marketing", country="DK", age=13) | {"error": "minor"}]),
    Case("Denmark 13, a guardian's grant allows", c("marketing", "DK"), (True, "granted", "consent"),
         [grant("marketing", country="DK", age=13, actor=GUARDIAN)]),
    Case("Sweden 15, an agent's grant is not a guardian's", c("analytics", "SE"), (False, "minor", None),
         [states_age(15, "SE"), grant("analytics", country="SE", age=15, actor=AGENT) | {"error": "minor"}]),
    Case("Denmark 16, own grant", c("marketing", "DK"), (True, "granted", "consent"), [grant("marketing", country="DK", age=16)]),
    Case("the UK 13, own grant: the EEA policy stops at its border", c("marketing", "GB"), (True, "granted", "consent"),
         [grant("marketing", country="GB", age=13)]),
    Case("US 14, recording, nothing recorded", c("recording", "US"), (False, "minor", None), [states_age(14, "US")]),
    Case("US 14, their own verbal approval to record", c("recording", "US"), (False, "minor", None),
         [states_age(14, "US"), grant("recording", "verbal", country="US", age=14) | {"error": "minor"}]),
    Case("US 14, a guardian approves the recording: the notice records no one under 16", c("recording", "US"),
         (False, "minor", None),
         [states_age(14, "US"), grant("recording", "verbal", country="US", age=14, actor=GUARDIAN) | {"error": "minor"}]),
    Case("US 16, their own approval to record", c("recording", "US"), (True, "granted", "consent"),
         [grant("recording", "verbal", country="US", age=16)]),
    Case("UK 15, recording: the policy holds everywhere", c("recording", "GB"), (False, "minor", None),
         [states_age(15, "GB"), grant("recording", "verbal", country="GB", age=15) | {"error": "minor"}]),
    Case("a minor's service notices still reach them", c("service_notices", "DE"), (True, "not_refusable", "contract"),
         [states_age(10, "DE")]),
    Case("no age stated: nothing changes", c("marketing", "DK"), (True, "granted", "consent"), [grant("marketing", country="DK")]),
]


# An operator's own policy, stricter than the law: an operator purpose closed under 18 ("children are
# not eligible to use our services"), one at 18 with a guardian, and recording at 16 everywhere.
def with_operator_policy(rules: dict) -> None:
    rules["policy"] = {
        "operator_purposes": ["cloud_calling", "voice_profile"],
        "minors": [
            {"purposes": ["cloud_calling"], "under": 18, "allows": "nothing",
             "source": "Cloud-calling policy: children (under 18) are not eligible to use the services"},
            {"purposes": ["voice_profile"], "under": 18, "source": "Operator policy: a guardian decides under 18"},
            {"purposes": ["recording"], "under": 16, "source": "Call recording notice: no one under 16"},
        ],
    }


OPERATOR_PURPOSES = [("POST", "/v1/purposes", {"key": key, "name": key, "category": "processing", "legal_basis": "consent"})
                     for key in ("cloud_calling", "voice_profile")]


def policy_case(name: str, purpose: str, country: str, writes: list[dict], expect: tuple) -> Case:
    return Case(f"operator policy: {name}", c(purpose, country), expect, writes, setup=OPERATOR_PURPOSES,
                rules=with_operator_policy)


CASES += [
    policy_case("17, own grant of a product closed under 18", "cloud_calling", "US",
                [states_age(17, "US"), grant("cloud_calling", country="US", age=17) | {"error": "minor"}],
                (False, "minor", None)),
    policy_case("17, a guardian cannot open a product closed under 18", "cloud_calling", "US",
                [states_age(17, "US"), grant("cloud_calling", country="US", age=17, actor=GUARDIAN) | {"error": "minor"}],
                (False, "minor", None)),
    policy_case("an adult's grant, then 17 stated: closed in another country too", "cloud_calling", "DE",
                [grant("cloud_calling", country="US", age=30), states_age(17, "US")], (False, "minor", None)),
    policy_case("18, own grant of the product", "cloud_calling", "US",
                [grant("cloud_calling", country="US", age=18)], (True, "granted", "consent")),
    policy_case("17 a year ago, own grant now at 18", "cloud_calling", "US",
                [states_age(17, "US"), grant("cloud_calling", country="US", age=17, actor=GUARDIAN) | {"error": "minor"},
                 later(366), grant("cloud_calling", country="US")], (True, "granted", "consent")),
    policy_case("17, own grant where a guardian decides under 18", "voice_profile", "US",
                [states_age(17, "US"), grant("voice_profile", country="US", age=17) | {"error": "minor"}],
                (False, "minor", None)),
    policy_case("17, a guardian's grant where a guardian decides under 18", "voice_profile", "US",
                [grant("voice_profile", country="US", age=17, actor=GUARDIAN)], (True, "granted", "consent")),
    policy_case("17, nothing recorded", "voice_profile", "US", [states_age(17, "US")], (False, "minor", None)),
    policy_case("Denmark 13 under a policy without the EEA rule", "marketing", "DK",
                [grant("marketing", country="DK", age=13)], (True, "granted", "consent")),
]
