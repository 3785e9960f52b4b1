"""Subdivisions (ISO 3166-2): a US state's rules, then the country's, then the default; Quebec's Law 25;
which states' laws require honouring a universal opt-out signal (GPC) when the operator's US rules do not;
one state's rule changed changes that state's answers only; a region that contradicts its country.

Every case checks a region, which the API refused before subdivisions (422): each failed before."""
from __future__ import annotations

from tests.regimes.answer_table import Case, grant, refuse
from tests.regimes.answer_table import c as check

AGENT = {"type": "agent", "id": "support-7"}
# The states whose privacy law requires honouring a universal opt-out signal (rules file: their own
# gpc_purposes), and those whose law gives an opt-out of sale without requiring the signal.
SIGNAL_STATES = ("US-CA", "US-CO", "US-CT", "US-TX", "US-OR", "US-MT", "US-DE", "US-NH", "US-NJ", "US-MN", "US-MD",
                 "US-NE")
NO_SIGNAL_STATES = ("US-VA", "US-UT", "US-IA", "US-TN", "US-IN", "US-KY", "US-RI")


def c(purpose: str, region: str | None = None, country: str | None = None, **extra) -> dict:
    """A check of one purpose in a region (its country follows from it), or a country."""
    return check(purpose, country, **({"region": region} if region else {}), **extra)


def us_ignores_gpc(rules: dict) -> None:
    """An operator whose US rules do not honour GPC: only the states whose law requires it still do."""
    rules["regimes"]["opt_out"]["gpc_purposes"] = []


def us_sells_by_default(rules: dict) -> None:
    """An operator whose notice allows opt-out sale (docs/rules.md), and whose US rules ignore GPC."""
    us_ignores_gpc(rules)
    rules["regimes"]["opt_out"]["purposes"]["advertising"]["default"] = "granted"


def default_is_opt_out(rules: dict) -> None:
    rules["default_regime"] = "opt_out"


def colorado_sells_by_default(rules: dict) -> None:
    """One state's rule changed in the rules file, no code."""
    rules["subdivisions"]["entries"]["US-CO"]["purposes"] = {"advertising": {"default": "granted", "source": "test"}}


AGENT_GRANT = grant("advertising", actor=AGENT, country="US")

CASES = [
    # Subdivision, then country, then default
    Case("US-CA, advertising, nothing recorded: the notices promise no sale", c("advertising", "US-CA"),
         (False, "opt_in_required", None)),
    Case("US-CA alone says the US: analytics until opt-out", c("analytics", "US-CA"), (True, "default_opt_out", "not_required")),
    Case("a state without rules of its own follows the US", c("analytics", "US-WY"), (True, "default_opt_out", "not_required")),
    Case("CA-QC: analytics needs consent (Law 25)", c("analytics", "CA-QC"), (False, "opt_in_required", None)),
    Case("CA-QC stays opt-in when the default regime is opt-out", c("analytics", "CA-QC"),
         (False, "opt_in_required", None), rules=default_is_opt_out),
    Case("the rest of Canada follows an opt-out default", c("analytics", "CA-ON"), (True, "default_opt_out", "not_required"),
         rules=default_is_opt_out),
    Case("CA-QC: implied consent is no consent", c("analytics", "CA-QC"), (False, "opt_in_required", None),
         [grant("analytics", "implied_by_continuing", region="CA-QC") | {"error": "method_not_valid"}]),
    Case("CA-QC: the person's own grant allows", c("analytics", "CA-QC"), (True, "granted", "consent"),
         [grant("analytics", region="CA-QC")]),
    Case("a region alone gives the subject its country", c("analytics"), (True, "default_opt_out", "not_required"),
         [refuse("marketing", region="US-CA")]),
    # GPC where the operator's US rules do not honour it: only the states whose law requires it
    *[Case(f"{state}: the law requires honouring GPC over an agent's grant", c("advertising", state, gpc=True),
           (False, "gpc", None), [AGENT_GRANT], rules=us_ignores_gpc) for state in SIGNAL_STATES],
    *[Case(f"{state}: the law does not require GPC; the operator's US rules decide", c("advertising", state, gpc=True),
           (True, "granted", "consent"), [AGENT_GRANT], rules=us_ignores_gpc) for state in NO_SIGNAL_STATES],
    Case("US without a state: the operator's rules ignore GPC", c("advertising", country="US", gpc=True),
         (True, "granted", "consent"), [AGENT_GRANT], rules=us_ignores_gpc),
    Case("US-VA with the shipped rules: GPC honoured as the operator chose", c("advertising", "US-VA", gpc=True),
         (False, "gpc", None), [AGENT_GRANT]),
    Case("US-CA, operator sells by default: GPC still turns it off", c("advertising", "US-CA", gpc=True),
         (False, "gpc", None), rules=us_sells_by_default),
    Case("US-VA, operator sells by default: allowed until opt-out", c("advertising", "US-VA", gpc=True),
         (True, "default_opt_out", "not_required"), rules=us_sells_by_default),
    # One state's rule changes that state's answers only
    Case("Colorado's rule changed: Colorado sells by default", c("advertising", "US-CO"),
         (True, "default_opt_out", "not_required"), rules=colorado_sells_by_default),
    Case("Colorado's rule changed: Connecticut unchanged", c("advertising", "US-CT"), (False, "opt_in_required", None),
         rules=colorado_sells_by_default),
    Case("Colorado's rule changed: the US unchanged", c("advertising", country="US"), (False, "opt_in_required", None),
         rules=colorado_sells_by_default),
    # A region in another country than the one given is refused, nothing written
    Case("a region contradicting its country is refused", c("analytics", country="DE"), (False, "opt_in_required", None),
         [grant("analytics", country="DE", region="US-CA") | {"error": "region_contradicts_country"}]),
    Case("an unknown region is refused", c("analytics", country="US"), (True, "default_opt_out", "not_required"),
         [refuse("analytics", region="US-ZZ") | {"error": "unknown_region"}]),
]
