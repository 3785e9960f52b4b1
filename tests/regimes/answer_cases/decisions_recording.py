"""Answer cases: automated decisions with legal effect, and recording notification (issue 17, class 7;
"What to build": automated decisions, recording). Each asserts (allowed, reason, basis) of the first
purpose checked, on both databases (tests/regimes/test_answer_table.py runs them)."""
from __future__ import annotations

from tests.regimes.answer_table import Case, c, grant, refuse

AD = "automated_decisions"
HEARD = "2026-01-15T09:29:00Z"  # the announcement, a minute before the test clock starts
ORG = grant(AD, subject="org-1", country="DE")  # the organization switched automated decisions on
US_ORG = grant(AD, subject="org-1", country="US")


def legal(country: str | None, **extra) -> dict:
    return c(AD, country, legal_effect=True, **extra)


def implied(**context) -> dict:
    return grant("recording", "implied_by_continuing", **context)


def age(years: int, country: str) -> dict:
    """A write that only states the subject's age (a refusal of a purpose no case checks)."""
    return refuse("preferences", age=years, country=country)


def _explicit_only_written(rules: dict) -> None:
    rules["regimes"]["opt_in"]["legal_effect"]["explicit_consent_methods"] = ["written"]


def _us_wants_explicit_consent(rules: dict) -> None:
    rules["regimes"]["opt_out"]["legal_effect"] = {
        "needs": "explicit_consent", "explicit_consent_methods": ["written"], "source": "operator's notice"}


def _us_records_by_default(rules: dict) -> None:
    rules["regimes"]["opt_out"]["purposes"]["recording"] = {"default": "granted", "source": "operator's notice"}


CASES = [
    # Automated decisions with legal or similarly significant effect, GDPR regimes (Art. 22(2)).
    Case(name="DE, legal effect, nothing recorded: explicit consent required",
         check=legal("DE"), expect=(False, "explicit_consent_required", None)),
    Case(name="DE, legal effect, organization enabled, the person said nothing: not not_objected",
         check=legal("DE", on_behalf_of="org-1"), expect=(False, "explicit_consent_required", None), writes=[ORG]),
    Case(name="DE, legal effect, organization enabled, written consent",
         check=legal("DE", on_behalf_of="org-1"), expect=(True, "granted", "consent"),
         writes=[ORG, grant(AD, "written", country="DE")]),
    Case(name="DE, legal effect, consent through the API",
         check=legal("DE"), expect=(True, "granted", "consent"), writes=[grant(AD, "api", country="DE")]),
    Case(name="FR, legal effect, consent on the preference page",
         check=legal("FR"), expect=(True, "granted", "consent"), writes=[grant(AD, "preference_page", country="FR")]),
    Case(name="GB, legal effect, verbal consent",
         check=legal("GB"), expect=(True, "granted", "consent"), writes=[grant(AD, "verbal", country="GB")]),
    Case(name="DE, legal effect, a grant implied under US rules is no explicit consent",
         check=legal("DE"), expect=(False, "explicit_consent_required", None),
         writes=[grant(AD, "implied_by_continuing", country="US")]),
    Case(name="DE, legal effect, declared necessary for a contract",
         check=legal("DE", necessity="contract"), expect=(True, "contract_necessity", "contract")),
    Case(name="DE, legal effect, contract necessity, but the person objected",
         check=legal("DE", necessity="contract"), expect=(False, "objected", None),
         writes=[refuse(AD, country="DE")]),
    Case(name="DE, legal effect, contract necessity, organization never enabled them",
         check=legal("DE", necessity="contract", on_behalf_of="org-1"), expect=(False, "not_enabled", None)),
    Case(name="DE, legal effect, explicit consent then withdrawn",
         check=legal("DE"), expect=(False, "objected", None),
         writes=[grant(AD, "written", country="DE"), refuse(AD, "written", decision="withdrawn", country="DE")]),
    Case(name="DE 17, legal effect, contract necessity: never for a minor",
         check=legal("DE", necessity="contract"), expect=(False, "minor", None), writes=[age(17, "DE")]),
    Case(name="DE, no legal effect, organization enabled: as before",
         check=c(AD, "DE", on_behalf_of="org-1"), expect=(True, "not_objected", "legitimate_interest"), writes=[ORG]),
    Case(name="DE, legal effect, the operator counts only written consent as explicit",
         check=legal("DE"), expect=(False, "explicit_consent_required", None),
         writes=[grant(AD, "api", country="DE")], rules=_explicit_only_written),
    # US state laws: an opt-out of profiling for decisions with legal or similarly significant effects.
    Case(name="US, legal effect, organization enabled, no objection",
         check=legal("US", on_behalf_of="org-1"), expect=(True, "not_objected", "not_required"), writes=[US_ORG]),
    Case(name="US, legal effect, organization enabled, the person opted out",
         check=legal("US", on_behalf_of="org-1"), expect=(False, "objected", None),
         writes=[US_ORG, refuse(AD, country="US")]),
    Case(name="US, legal effect, no organization, nothing recorded: no laxer than without legal effect",
         check=legal("US"), expect=(False, "opt_in_required", None)),
    Case(name="US, legal effect, declared necessary for a contract",
         check=legal("US", necessity="contract"), expect=(True, "contract_necessity", "contract")),
    Case(name="US 16, legal effect, organization enabled: never for a minor",
         check=legal("US", on_behalf_of="org-1"), expect=(False, "minor", None), writes=[US_ORG, age(16, "US")]),
    Case(name="US, legal effect, an operator wanting explicit consent there too",
         check=legal("US", on_behalf_of="org-1"), expect=(False, "explicit_consent_required", None),
         writes=[US_ORG], rules=_us_wants_explicit_consent),
    # Recording: an implied grant counts only with the notification the caller heard.
    Case(name="US, recording implied by staying on the call, no notification: refused, nothing recorded",
         check=c("recording", "US"), expect=(False, "opt_in_required", None),
         writes=[implied(country="US", error="notification_required")]),
    Case(name="US, recording implied by staying on the call after the announcement",
         check=c("recording", "US"), expect=(True, "granted", "consent"), writes=[implied(country="US", notified_at=HEARD)]),
    Case(name="US, a notification that has not happened yet is refused",
         check=c("recording", "US"), expect=(False, "opt_in_required", None),
         writes=[implied(country="US", notified_at="2030-01-01T00:00:00Z", error="validation_error")]),
    Case(name="US, implied consent, then asking not to be recorded",
         check=c("recording", "US"), expect=(False, "denied", None),
         writes=[implied(country="US", notified_at=HEARD), refuse("recording", "verbal", country="US")]),
    Case(name="US, explicit verbal consent needs no announcement on record",
         check=c("recording", "US"), expect=(True, "granted", "consent"), writes=[grant("recording", "verbal", country="US")]),
    Case(name="DE, implied consent is no consent, announcement or not",
         check=c("recording", "DE"), expect=(False, "opt_in_required", None),
         writes=[implied(country="DE", notified_at=HEARD, error="method_not_valid")]),
    Case(name="US 15, implied recording consent of their own: the notice's under-16 policy",
         check=c("recording", "US"), expect=(False, "minor", None),
         writes=[age(15, "US"), implied(country="US", notified_at=HEARD, age=15, error="minor")]),
    Case(name="US 16, their own implied consent after the announcement",
         check=c("recording", "US"), expect=(True, "granted", "consent"),
         writes=[implied(country="US", notified_at=HEARD, age=16)]),
    Case(name="US, an operator recording by default (one-party rule): the default allows",
         check=c("recording", "US"), expect=(True, "default_opt_out", "not_required"), rules=_us_records_by_default),
    Case(name="US, recording by default, the caller said no",
         check=c("recording", "US"), expect=(False, "denied", None),
         writes=[refuse("recording", "verbal", country="US")], rules=_us_records_by_default),
]
