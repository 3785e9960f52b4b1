"""Regimes and defaults, recording, children, transfers, automated decisions, GPC, notice changes
and double opt-in: the rules that make the notices true, each with its exact answer and basis."""
from __future__ import annotations

from tests.regimes.answer_table import Case, grant, notice, refuse
from tests.regimes.answer_table import c as check


def c(purpose: str, country: str | None = "DE", **extra) -> dict:
    """A check in Germany unless another country (or None, no country) is given."""
    return check(purpose, country, **extra)


CASES = [
    # Regimes and defaults
    Case("opt-in country, no answer: analytics needs consent", c("analytics", "DE"), (False, "opt_in_required", None)),
    Case("opt-out country, no answer: analytics by default", c("analytics", "US"), (True, "default_opt_out", "not_required")),
    Case("opt-in country, marketing needs consent", c("marketing", "FR"), (False, "opt_in_required", None)),
    Case("opt-out country, marketing until opt-out", c("marketing", "US"), (True, "default_opt_out", "not_required")),
    Case("necessary is always on", c("necessary", "DE"), (True, "not_refusable", "legitimate_interest")),
    Case("service notices are always on", c("service_notices", "US"), (True, "not_refusable", "contract")),
    Case("unlisted country takes the default regime (opt-in)", c("analytics", "JP"), (False, "opt_in_required", None)),
    Case("no country and no history: the default regime", c("analytics", None), (False, "opt_in_required", None)),
    Case("a grant allows", c("marketing"), (True, "granted", "consent"), [grant("marketing")]),
    Case("a withdrawal stops it", c("marketing"), (False, "withdrawn", None),
         [grant("marketing"), refuse("marketing", decision="withdrawn")]),
    Case("a refusal holds in an opt-out country", c("analytics", "US"), (False, "denied", None), [refuse("analytics", country="US")]),
    Case("the subject's last country decides when the check names none", c("analytics", None), (True, "default_opt_out", "not_required"),
         [refuse("marketing", country="US")]),
    Case("non-refusable purposes cannot be refused", c("service_notices"), (True, "not_refusable", "contract"),
         [refuse("service_notices") | {"error": "not_refusable"}]),
    # Recording: "if you don't approve the recording, we won't record it"
    Case("no recording without approval (opt-in)", c("recording", "DE"), (False, "opt_in_required", None)),
    Case("no recording without approval (opt-out)", c("recording", "US"), (False, "opt_in_required", None)),
    Case("verbal consent to recording", c("recording"), (True, "granted", "consent"), [grant("recording", "verbal", country="DE")]),
    Case("written consent to recording", c("recording"), (True, "granted", "consent"), [grant("recording", "written", country="DE")]),
    Case("implied by staying on the call counts where the rules say so", c("recording", "US"), (True, "granted", "consent"),
         [grant("recording", "implied_by_continuing", country="US")]),
    Case("implied consent does not count in an opt-in regime", c("recording", "DE"), (False, "opt_in_required", None),
         [grant("recording", "implied_by_continuing", country="DE") | {"error": "method_not_valid"}]),
    Case("withdrawal mid-call stops the recording at once", c("recording"), (False, "withdrawn", None),
         [grant("recording", "verbal", country="DE"), refuse("recording", "verbal", decision="withdrawn")]),
    Case("asking not to be recorded after implied consent", c("recording", "US"), (False, "denied", None),
         [grant("recording", "implied_by_continuing", country="US"), refuse("recording", "verbal", country="US")]),
    Case("a rejection button never grants", c("analytics"), (False, "opt_in_required", None),
         [grant("analytics", "banner_reject_all") | {"error": "method_not_valid"}]),
    # Children (GDPR Art. 8 ages per member state, COPPA 13 in the US)
    Case("a 15-year-old in Germany cannot consent alone", c("marketing"), (False, "opt_in_required", None),
         [grant("marketing", country="DE", age=15) | {"error": "minor"}]),
    Case("a guardian consents for a 15-year-old in Germany", c("marketing"), (True, "granted", "consent"),
         [grant("marketing", country="DE", age=15, actor={"type": "guardian", "id": "parent-1"})]),
    Case("a known minor gets no default consent", c("analytics", "US"), (False, "minor", None),
         [refuse("marketing", country="US", age=12)]),
    Case("a minor's own earlier grant does not count", c("analytics", "US"), (False, "minor", None),
         [grant("analytics", country="US", age=14), refuse("marketing", country="US", age=12)]),
    Case("13 is old enough in the US", c("analytics", "US"), (True, "granted", "consent"), [grant("analytics", country="US", age=13)]),
    Case("14 is too young in France (15)", c("advertising", "FR"), (False, "opt_in_required", None),
         [grant("advertising", country="FR", age=14) | {"error": "minor"}]),
    Case("13 is old enough in the UK", c("marketing", "GB"), (True, "granted", "consent"), [grant("marketing", country="GB", age=13)]),
    Case("service notices reach minors too", c("service_notices", "US"), (True, "not_refusable", "contract"),
         [refuse("marketing", country="US", age=10)]),
    # Cross-border transfers
    Case("inside the EEA needs no consent", c("cross_border_transfer", "DE", destination_country="FR"), (True, "adequate", "not_required")),
    Case("to an adequate country needs no consent", c("cross_border_transfer", "DE", destination_country="JP"), (True, "adequate", "adequacy")),
    Case("to the US needs consent from an EEA subject", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required", None)),
    Case("consent naming the US allows the US", c("cross_border_transfer", "DE", destination_country="US"), (True, "granted", "consent"),
         [grant("cross_border_transfer", "written", country="DE", destination_country="US")]),
    Case("consent naming the US does not allow India", c("cross_border_transfer", "DE", destination_country="IN"),
         (False, "opt_in_required", None), [grant("cross_border_transfer", "written", country="DE", destination_country="US")]),
    Case("consent to every destination is not recorded in an opt-in country (Art. 49(1)(a): specific)",
         c("cross_border_transfer", "DE", destination_country="IN"), (False, "opt_in_required", None),
         [grant("cross_border_transfer", "written", country="DE", destination_country="*") | {"error": "destination_not_named"}]),
    Case("withdrawing the US consent", c("cross_border_transfer", "DE", destination_country="US"), (False, "withdrawn", None),
         [grant("cross_border_transfer", "written", country="DE", destination_country="US"),
          refuse("cross_border_transfer", decision="withdrawn", destination_country="US")]),
    Case("US law does not restrict this transfer", c("cross_border_transfer", "US", destination_country="IN"), (True, "not_required", "not_required")),
    Case("the UK deems the EEA adequate", c("cross_border_transfer", "GB", destination_country="DE"), (True, "adequate", "adequacy")),
    Case("a transfer consent must name its destination", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required", None), [grant("cross_border_transfer", "written", country="DE") | {"error": "validation_error"}]),
    Case("'accept all' never grants a transfer (Art. 49(1)(a))", c("cross_border_transfer", "DE", destination_country="US"),
         (False, "opt_in_required", None),
         [grant("cross_border_transfer", "banner_accept_all", country="DE", destination_country="US") | {"error": "method_not_valid"}]),
    # Automated decisions (GDPR Art. 22)
    Case("not enabled by the organization", c("automated_decisions", on_behalf_of="org-1"), (False, "not_enabled", None)),
    Case("enabled by the organization, no objection", c("automated_decisions", on_behalf_of="org-1"), (True, "not_objected", "legitimate_interest"),
         [grant("automated_decisions") | {"subject": "org-1"}]),
    Case("the person objected", c("automated_decisions", on_behalf_of="org-1"), (False, "objected", None),
         [grant("automated_decisions") | {"subject": "org-1"}, refuse("automated_decisions")]),
    Case("without an organization it is the person's own consent", c("automated_decisions"), (False, "opt_in_required", None)),
    # Global Privacy Control
    Case("GPC needs nothing recorded to keep advertising off", c("advertising", "US", gpc=True), (False, "opt_in_required", None)),
    Case("GPC outranks an earlier 'accept all'", c("advertising", "US", gpc=True), (False, "gpc", None),
         [grant("advertising", "banner_accept_all", country="US")]),
    Case("an explicit per-purpose opt-in outranks GPC", c("advertising", "US", gpc=True), (True, "granted", "consent"),
         [grant("advertising", "banner_custom", country="US")]),
    Case("GPC changes nothing where consent is opt-in anyway", c("advertising", "DE", gpc=True), (False, "opt_in_required", None)),
    Case("GPC on a write is recorded as an opt-out", c("advertising", "US"), (False, "denied", None),
         [grant("analytics", country="US", gpc=True)]),
    Case("GPC on a write with an explicit advertising opt-in", c("advertising", "US"), (True, "granted", "consent"),
         [grant("advertising", "banner_custom", country="US", gpc=True)]),
    # Notice versions and reconsent
    Case("a material change asks again for opt-in consents", c("marketing"), (False, "reconsent_required", None),
         [grant("marketing", country="DE")], [notice("marketing")]),
    Case("a non-material change needs nothing", c("marketing"), (True, "granted", "consent"),
         [grant("marketing", country="DE")], [notice("marketing", material=False)]),
    Case("opt-out consents stay allowed after a material change", c("analytics", "US"), (True, "granted", "not_required"),
         [grant("analytics", country="US")], [notice("analytics")]),
    Case("a material change of another purpose changes nothing", c("marketing"), (True, "granted", "consent"),
         [grant("marketing", country="DE")], [notice("analytics")]),
    Case("consent given again after the change", c("marketing"), (True, "granted", "consent"),
         [grant("marketing", country="DE")], [notice("marketing")], [grant("marketing", country="DE")]),
    # Double opt-in
    Case("unconfirmed double opt-in", c("marketing"), (False, "pending", None), [grant("marketing", "double_opt_in", country="DE")]),
    # Confirmed only from the inbox (tests/preferences): a caller cannot post the confirmation itself.
    Case("a posted confirmation does not confirm a double opt-in", c("marketing"), (False, "pending", None),
         [grant("marketing", "double_opt_in", country="DE"),
          grant("marketing", "double_opt_in_confirmed") | {"error": "method_not_valid"}]),
]
