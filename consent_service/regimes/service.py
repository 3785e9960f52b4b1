"""The rules that make answers depend on jurisdiction, read from a rules file (data, not code).

A rules file maps countries to regimes and says, per regime, which methods count as consent
(per purpose where it differs), which purposes a Global Privacy Control signal opts out of,
the age of digital consent per country, the law's other age rules (`minors`), the operator's own
stricter age rules (`policy.minors`), the transfer regions with their adequate destinations and the
recipient safeguards they recognize (`transfers`, each citing its source), who can
outrank a GPC signal (`gpc.outranked_by`), which methods make sense for which category of purpose
(`methods`), what an automated decision with legal effect needs per regime (`legal_effect`), which
implied grants of recording count only with their notification (`recording`), and the rules of
subdivisions whose law differs from their country's (`subdivisions`, regimes/subdivisions.py): an
answer's policy is its subdivision's, else its country's regime's, else the default regime's. The
shipped file is rules.json beside this module; RULES_FILE replaces it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from consent_service.config import ConfigError
from consent_service.regimes.privacy_request_rules import RequestRules, parse_request_rules
from consent_service.regimes.subdivisions import parse_subdivisions
from consent_service.vocabulary import (
    COUNTRY_PATTERN,
    PURPOSE_CATEGORIES,
    PURPOSE_KEY_PATTERN,
    ActorType,
    Basis,
    Decision,
    Method,
    Regime,
)

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.json")
# The regimes from most to least protective. Under opt-in nothing is processed or pre-ticked before the
# person's affirmative action; under opt-out processing runs until they object. The order is of regimes,
# never of countries: where a country stands follows from the regime the rules file gives it.
MOST_PROTECTIVE_FIRST = (Regime.OPT_IN, Regime.OPT_OUT)
COUNTRY_CODE = re.compile(COUNTRY_PATTERN)
PURPOSE_KEY = re.compile(PURPOSE_KEY_PATTERN)
# The purposes every catalogue has (migration 0001); a policy may name these, the operator's purposes
# it declares in `policy.operator_purposes`, or "*" (every consent-based purpose).
CATALOGUE_PURPOSES = frozenset(
    {
        "necessary",
        "preferences",
        "analytics",
        "advertising",
        "marketing",
        "service_notices",
        "recording",
        "cross_border_transfer",
        "automated_decisions",
    }
)
EVERY_CONSENT_PURPOSE = "*"
TRANSFER_PURPOSE = "cross_border_transfer"
# What a registered recipient may have that a transfer region can recognize, in the order a check tries them.
RECIPIENT_SAFEGUARDS = (Basis.DPF_CERTIFIED.value, Basis.SCC.value, Basis.BCR.value)
TRANSFER_REGION_KEYS = frozenset({"source", "countries", "adequate", "adequate_source", "safeguards", "consent"})


class MinorLimit(IntEnum):
    """What still allows a purpose for someone under an age rule's age, weakest limit first."""

    OPT_IN = 1  # a recorded grant (their own or a guardian's); never a default (CCPA 1798.120(c))
    GUARDIAN = 2  # only a guardian's grant (GDPR Art. 8, COPPA)
    NEVER = 3  # nothing (GDPR Recital 71; an operator's "not eligible")


LIMIT_NAMES = {"any_grant": MinorLimit.OPT_IN, "guardian": MinorLimit.GUARDIAN, "nothing": MinorLimit.NEVER}


@dataclass(frozen=True)
class MinorRules:
    """The age rules of one jurisdiction: per purpose, (under this age, this limit) pairs; `every` holds
    for every consent-based purpose. Built once at load, read per check by `limit` (a few int compares)."""

    every: tuple[tuple[int, MinorLimit], ...]
    by_purpose: dict[str, tuple[tuple[int, MinorLimit], ...]] = field(default_factory=dict)

    def limit(self, purpose: str, consent_based: bool, age: int) -> MinorLimit | None:
        """The strictest limit an `age`-year-old is under for this purpose; None when none applies."""
        strictest = None
        for under, limit in (self.every if consent_based else ()) + self.by_purpose.get(purpose, ()):
            if age < under and (strictest is None or limit > strictest):
                strictest = limit
        return strictest

    def alone_from(self, purpose: str) -> int:
        """The age from which a person's own grant of a consent-based purpose counts (the highest
        age of the rules that want a guardian, or allow nothing, below it); 0 if none does."""
        return max(
            (under for under, limit in self.every + self.by_purpose.get(purpose, ()) if limit >= MinorLimit.GUARDIAN),
            default=0,
        )


NO_MINOR_RULES = MinorRules(every=())
# Ways of saying yes that are not the person's own choice of one purpose: never above a GPC signal.
BLANKET_METHODS = frozenset({Method.BANNER_ACCEPT_ALL, Method.IMPLIED_BY_CONTINUING, Method.LINKED, Method.GPC})


@dataclass(frozen=True)
class GpcPrecedence:
    """Who may outrank a Global Privacy Control signal with a later grant: the person themselves,
    choosing that purpose (actor type and method both listed); never a blanket "accept all"."""

    actor_types: frozenset[str]
    methods: frozenset[str]

    def outranks(self, actor_type: str | None, method: str | None) -> bool:
        return actor_type in self.actor_types and method in self.methods


@dataclass(frozen=True)
class RegimePolicy:
    regime: Regime
    consent_methods: frozenset[str]
    gpc_purposes: frozenset[str]
    purpose_methods: dict[str, frozenset[str]]
    purpose_defaults: dict[str, Decision]
    # Which later grants outrank a GPC signal: the rules file's gpc.outranked_by, one for all regimes.
    gpc_outranked_by: GpcPrecedence
    # Whether a transfer consent to every destination ("*") is consent here (cross_border_transfer's
    # all_destinations; by default not in the opt-in regime, where consent names its destinations).
    all_destinations: bool = False
    # Automated decisions with legal or similarly significant effect: the methods whose grant is explicit
    # consent (GDPR Art. 22(2)(c)); None where the law gives an opt-out only (the regime's `legal_effect`).
    # By default none is: such a decision then needs a declared contract necessity (fail closed).
    legal_effect_consent_methods: frozenset[str] | None = frozenset()
    # A recording needs every party's consent here (two-party-consent states: subdivisions' rules).
    recording_all_parties: bool = False
    # Where the rules file says what a subdivision changed ("gpc_purposes", "purposes.<key>.default" -> the
    # entry's dotted path); anything else is said by the regime (path_of).
    paths: dict[str, str] = field(default_factory=dict)

    def path_of(self, entry: str) -> str:
        """The dotted path in the rules file of one of this policy's entries: what an answer names as its rule."""
        return self.paths.get(entry) or f"regimes.{self.regime.value}.{entry}"

    def counts_as_consent(self, purpose: str, method: str) -> bool:
        """Whether a grant given this way is valid consent for the purpose under this regime."""
        return method in self.purpose_methods.get(purpose, self.consent_methods)


@dataclass(frozen=True)
class MethodTable:
    """Which methods make sense for which category of purpose; some only from the service's own
    flows (a confirmed double opt-in, a carried-over choice), never from a caller."""

    by_category: dict[str, frozenset[str]]
    only_from_flow: frozenset[str]

    def problem(self, *, method: str, category: str, purpose: str, policy: RegimePolicy, from_flow: bool) -> str | None:
        """Why this method cannot record a decision on this purpose; None when it can."""
        if method in self.only_from_flow and not from_flow:
            return f"{method!r} is recorded only by the service's own flow, never sent."
        if method not in self.by_category.get(category, ()):
            return f"{method!r} is not a way to decide on {purpose!r} (a {category} purpose)."
        if method == Method.GPC and purpose not in policy.gpc_purposes:
            listed = ", ".join(sorted(policy.gpc_purposes)) or "none here"
            return f"'gpc' decides only the purposes a GPC signal opts out of ({listed})."
        return None


@dataclass(frozen=True)
class TransferRegion:
    """Countries whose law restricts transfers out of them, the destinations it deems adequate, and
    the safeguards of a registered recipient it recognizes (of RECIPIENT_SAFEGUARDS, in that order)."""

    name: str
    countries: frozenset[str]
    adequate: frozenset[str]
    safeguards: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordingRules:
    """Which ways of granting recording are implied (the caller stayed on the line after being told):
    such a grant counts only with the notification it followed on record (`notified_at`)."""

    notified_methods: frozenset[str] = frozenset()


# The GPP fields the rules file's `gpp` block may name: the opt-outs, the notices (of the US sections in
# frameworks/gpp_sections.py, which imports these rules: tests/frameworks/test_gpp_rules.py keeps both in step),
# and the MSPA fields with their values.
GPP_OPT_OUT_FIELDS = frozenset({"SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut"})
GPP_NOTICE_FIELDS = frozenset(
    {
        "SharingNotice",
        "ProcessingNotice",
        "SaleOptOutNotice",
        "SharingOptOutNotice",
        "TargetedAdvertisingOptOutNotice",
        "SensitiveDataProcessingOptOutNotice",
        "SensitiveDataLimitUseNotice",
        "SensitiveDataOptOutNotice",
    }
)
GPP_MSPA_VALUES = {
    "MspaCoveredTransaction": (1, 2),
    "MspaOptOutOptionMode": (0, 1, 2),
    "MspaServiceProviderMode": (0, 1, 2),
    "MspaMode": (0, 1, 2),
}
GPP_KEYS = frozenset({"source", "opt_outs", "notices", "mspa", "tcfeuv2_countries"})


@dataclass(frozen=True)
class GppRules:
    """What this service's GPP sections say (the rules file's `gpp` block): which purpose each opt-out field
    follows, which notice fields are 1 (the banner gave the notice), the MSPA fields, and the countries where
    the tcfeuv2 section applies. A section gets the fields it has (frameworks/gpp.py)."""

    opt_outs: dict[str, str]
    notices: frozenset[str]
    mspa: dict[str, int]
    tcfeuv2_countries: frozenset[str]

    def fields_of(self, names: tuple[str, ...]) -> dict[str, int]:
        """The notice and MSPA values of a section with these fields, in its order."""
        return {
            name: 1 if name in self.notices else self.mspa[name]
            for name in names
            if name in self.notices or name in self.mspa
        }

    def opt_outs_of(self, names: tuple[str, ...]) -> dict[str, str]:
        return {name: self.opt_outs[name] for name in names if name in self.opt_outs}


@dataclass(frozen=True)
class RegimeRules:
    version: str
    default_regime: Regime
    by_country: dict[str, Regime]
    policies: dict[Regime, RegimePolicy]
    default_age_of_consent: int
    age_by_country: dict[str, int]
    transfer_regions: tuple[TransferRegion, ...]
    gpc: GpcPrecedence
    methods: MethodTable
    # The `privacy_requests` block (regimes/privacy_request_rules.py): deadlines by law, verification by type.
    privacy_requests: RequestRules
    # The age rules per country (the default's for a country no rule names), precomputed at load.
    minors_by_country: dict[str, MinorRules] = field(default_factory=dict)
    default_minors: MinorRules = NO_MINOR_RULES
    # The policy of each subdivision the rules name (ISO 3166-2), inheritance resolved at load.
    subdivisions: dict[str, RegimePolicy] = field(default_factory=dict)
    # The transfer region of each country a region lists, precomputed at load.
    region_by_country: dict[str, TransferRegion] = field(default_factory=dict)
    recording: RecordingRules = RecordingRules()
    # The `gpp` block; None in a rules file without one (GPP sections then cannot be filled).
    gpp: GppRules | None = None

    def regime_for(self, country: str | None) -> Regime:
        """The regime of a country code; the configured default when unknown or not given."""
        if country is None:
            return self.default_regime
        return self.by_country.get(country.upper(), self.default_regime)

    def jurisdiction(self, country: str | None, region: str | None = None) -> str | None:
        """The most specific place the rules name for a check: the subdivision, else the country (an
        ISO 3166-1 code a regime lists), else None, where the default regime decides."""
        if region is not None and region in self.subdivisions:
            return region
        return country if country in self.by_country else None

    def policy_for(self, jurisdiction: str | None) -> RegimePolicy:
        """The policy of a jurisdiction (from `jurisdiction`): two dict lookups per check."""
        subdivision = self.subdivisions.get(jurisdiction or "")
        return subdivision or self.policies[self.regime_for(jurisdiction)]

    def most_protective(self, *regimes: Regime) -> Regime:
        """The most protective of these regimes (MOST_PROTECTIVE_FIRST)."""
        return min(regimes, key=MOST_PROTECTIVE_FIRST.index)

    def at_least_as_protective(self, regime: Regime, than: Regime) -> bool:
        return self.most_protective(regime, than) is regime

    def public_regime(self, *, trusted_country: str | None, claimed_country: str | None) -> Regime:
        """The regime of a visitor's request from countries alone (public_jurisdiction)."""
        return self.policy_for(
            self.public_jurisdiction(
                trusted_country=trusted_country,
                trusted_region=None,
                claimed_country=claimed_country,
                claimed_region=None,
            )
        ).regime

    def public_jurisdiction(
        self,
        *,
        trusted_country: str | None,
        trusted_region: str | None,
        claimed_country: str | None,
        claimed_region: str | None,
    ) -> str | None:
        """The jurisdiction of a visitor's request: the trusted (CDN) place's, unless the place the client
        claims is at least as protective in every respect (protects_at_least): a claim may tighten the
        answer, never loosen it: a claim under a stricter regime wins, one under a laxer regime never does."""
        trusted = self.jurisdiction(trusted_country, trusted_region)
        if claimed_country is None and claimed_region is None:
            return trusted
        claimed = self.jurisdiction(claimed_country or (claimed_region or "")[:2] or None, claimed_region)
        return claimed if protects_at_least(self.policy_for(claimed), self.policy_for(trusted)) else trusted

    def policy(self, regime: str) -> RegimePolicy:
        return self.policies.get(Regime(regime), self.policies[self.default_regime])

    def age_of_consent(self, country: str | None) -> int:
        """The age from which a person consents for themselves (GDPR Art. 8, COPPA)."""
        return self.age_by_country.get(country or "", self.default_age_of_consent)

    def minor_rules(self, country: str | None) -> MinorRules:
        """The age rules that hold for a check in this country (law and operator policy together)."""
        return self.minors_by_country.get(country or "", self.default_minors)

    def transfer_region(self, country: str | None) -> TransferRegion | None:
        """The region whose transfer rules bind a subject in this country; None if none do.

        An unknown country is treated as the strictest case: bound by the first region.
        """
        if country is None:
            return self.transfer_regions[0] if self.transfer_regions else None
        return self.region_by_country.get(country)


def protects_at_least(policy: RegimePolicy, than: RegimePolicy) -> bool:
    """Whether answers under `policy` are never laxer than under `than`: a regime as strict, every purpose
    a GPC signal turns off there turned off here, no default granted here that is denied there, and no
    way of consenting valid here that is not there (per purpose too, and for decisions with legal
    effect), all-party recording kept, no transfer consent to every destination that is not one there."""
    if MOST_PROTECTIVE_FIRST.index(policy.regime) != MOST_PROTECTIVE_FIRST.index(than.regime):
        return MOST_PROTECTIVE_FIRST.index(policy.regime) < MOST_PROTECTIVE_FIRST.index(than.regime)
    purposes = set(policy.purpose_methods) | set(than.purpose_methods)
    defaults = set(policy.purpose_defaults) | set(than.purpose_defaults)
    return (
        policy.gpc_purposes >= than.gpc_purposes
        # No default here (None) falls back to the catalogue's: as strict only where there is none either.
        and all(
            policy.purpose_defaults.get(key) in (Decision.DENIED, than.purpose_defaults.get(key)) for key in defaults
        )
        and policy.consent_methods <= than.consent_methods
        and all(
            policy.purpose_methods.get(key, policy.consent_methods)
            <= than.purpose_methods.get(key, than.consent_methods)
            for key in purposes
        )
        and policy.recording_all_parties >= than.recording_all_parties
        and policy.all_destinations <= than.all_destinations
        # Legal-effect decisions: an opt-out law (None) is laxer than any list of explicit methods.
        and (
            than.legal_effect_consent_methods is None
            or (
                policy.legal_effect_consent_methods is not None
                and policy.legal_effect_consent_methods <= than.legal_effect_consent_methods
            )
        )
    )


def load_rules(path: str | Path | None = None) -> RegimeRules:
    """Read and validate a rules file; a bad entry stops the service with its name."""
    path = Path(path or DEFAULT_RULES_PATH)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"regime rules {path}: cannot be read as JSON ({exc})") from None
    return parse_rules(data, source=str(path))


class _Reader:
    """Walks a rules document, failing with the dotted path of the first bad entry."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"regime rules {self.source}: {where}: {problem}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        return value

    def countries(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list of country codes")
        for index, country in enumerate(value):
            if not isinstance(country, str) or not COUNTRY_CODE.fullmatch(country):
                raise self.fail(f"{where}[{index}]", f"{country!r} is not an ISO 3166 alpha-2 code")
        return value

    def methods(self, value: Any, where: str) -> frozenset[str]:
        known = {method.value for method in Method}
        if not isinstance(value, list):
            raise self.fail(where, "must be a list of methods")
        for index, method in enumerate(value):
            if method not in known:
                raise self.fail(f"{where}[{index}]", f"{method!r} is not a method (known: {', '.join(sorted(known))})")
        return frozenset(value)

    def purposes(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(p, str) and PURPOSE_KEY.fullmatch(p) for p in value):
            raise self.fail(where, "must be a list of purpose keys")
        return value

    def cites(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must cite its source (statute with article, regulator decision or guidance)")
        return value

    def age(self, value: Any, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 30:
            raise self.fail(where, f"{value!r} is not an age between 1 and 29")
        return value


def parse_rules(data: object, *, source: str = "rules") -> RegimeRules:
    read = _Reader(source)
    document = read.obj(data, "top level")
    known = {regime.value for regime in Regime}
    precedence = _gpc_precedence(read, document)
    regimes = read.obj(document.get("regimes"), "regimes")
    by_country: dict[str, Regime] = {}
    policies: dict[Regime, RegimePolicy] = {}
    for name, body in regimes.items():
        where = f"regimes.{name}"
        if name not in known:
            raise read.fail(where, f"unknown regime (known: {', '.join(sorted(known))})")
        body = read.obj(body, where)
        for index, country in enumerate(read.countries(body.get("countries"), f"{where}.countries")):
            if country in by_country:
                raise read.fail(f"{where}.countries[{index}]", f"{country} is already in {by_country[country]}")
            by_country[country] = Regime(name)
        purpose_methods, purpose_defaults = {}, {}
        all_destinations = name != Regime.OPT_IN
        for purpose, rule in read.obj(body.get("purposes", {}), f"{where}.purposes").items():
            rule_where = f"{where}.purposes.{purpose}"
            rule = read.obj(rule, rule_where)
            if "all_destinations" in rule:
                all_destinations = _all_destinations(read, purpose, rule, rule_where)
            if "consent_methods" in rule:
                purpose_methods[purpose] = read.methods(rule["consent_methods"], f"{rule_where}.consent_methods")
            if "default" in rule:
                if rule["default"] not in (Decision.GRANTED, Decision.DENIED):
                    raise read.fail(f"{rule_where}.default", "must be granted or denied")
                purpose_defaults[purpose] = Decision(rule["default"])
        policies[Regime(name)] = RegimePolicy(
            regime=Regime(name),
            consent_methods=read.methods(body.get("consent_methods"), f"{where}.consent_methods"),
            gpc_purposes=frozenset(read.purposes(body.get("gpc_purposes", []), f"{where}.gpc_purposes")),
            purpose_methods=purpose_methods,
            purpose_defaults=purpose_defaults,
            gpc_outranked_by=precedence,
            all_destinations=all_destinations,
            legal_effect_consent_methods=_legal_effect(read, body, where),
        )
    default = document.get("default_regime")
    if default not in policies:
        raise read.fail("default_regime", f"{default!r} is not a regime of this file")
    # The section's `source` cites the law behind its ages; every other key is a country.
    ages = {
        country: age
        for country, age in read.obj(document.get("age_of_consent", {}), "age_of_consent").items()
        if country != "source"
    }
    for country in ages:
        read.countries([country], "age_of_consent")
    regions = _transfer_regions(read, document)
    default_age = read.age(document.get("default_age_of_consent"), "default_age_of_consent")
    age_by_country = {country: read.age(age, f"age_of_consent.{country}") for country, age in ages.items()}
    policy = read.obj(document.get("policy", {}), "policy")
    operator_purposes = read.purposes(policy.get("operator_purposes", []), "policy.operator_purposes")
    region_names = {region.name: region.countries for region in regions}
    age_rules = [
        *_age_rules(read, document.get("minors", []), "minors", CATALOGUE_PURPOSES, region_names),
        *_age_rules(
            read, policy.get("minors", []), "policy.minors", CATALOGUE_PURPOSES | set(operator_purposes), region_names
        ),
    ]
    minors_by_country, default_minors = _minor_rules_by_country(default_age, age_by_country, age_rules)
    subdivisions = parse_subdivisions(
        read,
        document.get("subdivisions", {}),
        regime_policies=policies,
        country_policy=lambda country: policies[by_country.get(country, Regime(default))],
    )
    return RegimeRules(
        version=str(document.get("version", "")),
        default_regime=Regime(default),
        by_country=by_country,
        policies=policies,
        default_age_of_consent=default_age,
        age_by_country=age_by_country,
        transfer_regions=regions,
        region_by_country={country: region for region in regions for country in region.countries},
        minors_by_country=minors_by_country,
        default_minors=default_minors,
        gpc=precedence,
        methods=_method_table(read, document),
        recording=_recording_rules(read, document),
        subdivisions=subdivisions,
        gpp=_gpp_rules(read, document, region_names, CATALOGUE_PURPOSES | set(operator_purposes)),
        privacy_requests=parse_request_rules(read, document, shipped=DEFAULT_RULES_PATH),
    )


def _gpp_rules(
    read: _Reader, document: dict[str, Any], regions: dict[str, frozenset[str]], purposes: frozenset[str] | set[str]
) -> GppRules | None:
    """`gpp`: `opt_outs` (GPP opt-out field -> the purpose whose decision it follows), `notices` (the notice
    fields the banner makes 1), `mspa` (MspaCoveredTransaction 1 or 2, the modes 0-2), `tcfeuv2_countries`
    (country codes or transfer region names), with its `source`. A notice of an opt-out needs that opt-out."""
    if "gpp" not in document:
        return None
    gpp = read.obj(document["gpp"], "gpp")
    unknown_keys = set(gpp) - GPP_KEYS
    if unknown_keys:
        raise read.fail("gpp", f"unknown keys {sorted(unknown_keys)} (known: {', '.join(sorted(GPP_KEYS))})")
    read.cites(gpp.get("source"), "gpp.source")
    opt_outs = read.obj(gpp.get("opt_outs"), "gpp.opt_outs")
    for name, purpose in opt_outs.items():
        if name not in GPP_OPT_OUT_FIELDS:
            known = ", ".join(sorted(GPP_OPT_OUT_FIELDS))
            raise read.fail(f"gpp.opt_outs.{name}", f"not a GPP opt-out field (known: {known})")
        if purpose not in purposes:
            raise read.fail(f"gpp.opt_outs.{name}", f"{purpose!r} is not a purpose of the catalogue or the policy")
    notices = gpp.get("notices")
    if not isinstance(notices, list):
        raise read.fail("gpp.notices", "must be a list of GPP notice fields")
    for index, notice in enumerate(notices):
        if notice not in GPP_NOTICE_FIELDS:
            known = ", ".join(sorted(GPP_NOTICE_FIELDS))
            raise read.fail(f"gpp.notices[{index}]", f"{notice!r} is not a GPP notice field (known: {known})")
        opt_out = notice.removesuffix("Notice")
        if opt_out in GPP_OPT_OUT_FIELDS and opt_out not in opt_outs:
            raise read.fail(f"gpp.notices[{index}]", f"a notice of {opt_out} needs gpp.opt_outs.{opt_out}")
    mspa = read.obj(gpp.get("mspa"), "gpp.mspa")
    for name, value in mspa.items():
        allowed = GPP_MSPA_VALUES.get(name)
        if allowed is None:
            raise read.fail(f"gpp.mspa.{name}", f"not an MSPA field (known: {', '.join(GPP_MSPA_VALUES)})")
        if value not in allowed or isinstance(value, bool):
            raise read.fail(f"gpp.mspa.{name}", f"{value!r} is not one of {', '.join(map(str, allowed))}")
    if "MspaCoveredTransaction" not in mspa:
        raise read.fail("gpp.mspa", "must say MspaCoveredTransaction (1 covered by the MSPA, 2 not)")
    countries: set[str] = set()
    listed = gpp.get("tcfeuv2_countries", [])
    if not isinstance(listed, list):
        raise read.fail("gpp.tcfeuv2_countries", "must be a list of country codes or transfer region names")
    for index, name in enumerate(listed):
        if name in regions:
            countries |= regions[name]
        elif isinstance(name, str) and COUNTRY_CODE.fullmatch(name):
            countries.add(name)
        else:
            raise read.fail(
                f"gpp.tcfeuv2_countries[{index}]", f"{name!r} is no transfer region name or ISO 3166 alpha-2 code"
            )
    return GppRules(
        opt_outs=dict(opt_outs), notices=frozenset(notices), mspa=dict(mspa), tcfeuv2_countries=frozenset(countries)
    )


# What a regime's `legal_effect.needs` may say of automated decisions with legal or similar effect.
LEGAL_EFFECT_NEEDS = ("explicit_consent", "no_objection")


def _legal_effect(read: _Reader, body: dict[str, Any], where: str) -> frozenset[str] | None:
    """A regime's `legal_effect`: what an automated decision with legal or similarly significant effect
    needs, `explicit_consent` (a grant by one of `explicit_consent_methods`) or `no_objection` (an
    opt-out law); with its `source`. A regime that says nothing is read as the stricter one, with no
    method explicit enough: such decisions then need a declared contract necessity."""
    if "legal_effect" not in body:
        return frozenset()
    here = f"{where}.legal_effect"
    rule = read.obj(body["legal_effect"], here)
    unknown_keys = set(rule) - {"needs", "explicit_consent_methods", "source"}
    if unknown_keys:
        raise read.fail(here, f"unknown keys {sorted(unknown_keys)}")
    if not isinstance(rule.get("source"), str) or not rule["source"].strip():
        raise read.fail(f"{here}.source", "cites its source (statute, guidance)")
    needs = rule.get("needs")
    if needs not in LEGAL_EFFECT_NEEDS:
        raise read.fail(f"{here}.needs", f"{needs!r} is not one of {', '.join(LEGAL_EFFECT_NEEDS)}")
    if needs == "no_objection":
        if "explicit_consent_methods" in rule:
            raise read.fail(f"{here}.explicit_consent_methods", "only where the decision needs explicit consent")
        return None
    methods = read.methods(rule.get("explicit_consent_methods"), f"{here}.explicit_consent_methods")
    if methods & BLANKET_METHODS:
        raise read.fail(
            f"{here}.explicit_consent_methods",
            f"{', '.join(sorted(methods & BLANKET_METHODS))} is no explicit statement of consent to that decision",
        )
    return methods


def _recording_rules(read: _Reader, document: dict[str, Any]) -> RecordingRules:
    """`recording.notified_methods`: the implied ways of granting recording, which count only with the
    notification the caller heard on record; with its `source`."""
    if "recording" not in document:
        return RecordingRules()
    recording = read.obj(document["recording"], "recording")
    if not isinstance(recording.get("source"), str) or not recording["source"].strip():
        raise read.fail("recording.source", "cites its source (statute, guidance)")
    return RecordingRules(
        notified_methods=read.methods(recording.get("notified_methods", []), "recording.notified_methods")
    )


def _gpc_precedence(read: _Reader, document: dict[str, Any]) -> GpcPrecedence:
    """`gpc.outranked_by`: the actor types and methods whose later grant outranks a GPC signal."""
    gpc = read.obj(document.get("gpc"), "gpc")
    outranked_by = read.obj(gpc.get("outranked_by"), "gpc.outranked_by")
    actor_types = outranked_by.get("actor_types")
    known_actors = {actor.value for actor in ActorType}
    if not isinstance(actor_types, list) or not set(actor_types) <= known_actors:
        raise read.fail(
            "gpc.outranked_by.actor_types", f"must be a list of actor types ({', '.join(sorted(known_actors))})"
        )
    outranking = read.methods(outranked_by.get("methods"), "gpc.outranked_by.methods")
    if outranking & BLANKET_METHODS:
        raise read.fail(
            "gpc.outranked_by.methods",
            f"{', '.join(sorted(outranking & BLANKET_METHODS))} is no choice "
            "of one purpose by the person and never outranks a GPC signal",
        )
    return GpcPrecedence(actor_types=frozenset(actor_types), methods=outranking)


def _all_destinations(read: _Reader, purpose: str, rule: dict[str, Any], where: str) -> bool:
    """`all_destinations` of a regime's transfer rule: whether a consent to "*" is consent there, with its source."""
    if purpose != TRANSFER_PURPOSE:
        raise read.fail(f"{where}.all_destinations", f"only {TRANSFER_PURPOSE} names destinations")
    if not isinstance(rule["all_destinations"], bool):
        raise read.fail(f"{where}.all_destinations", "must be true or false")
    read.cites(rule.get("source"), f"{where}.source")
    return rule["all_destinations"]


def _transfer_regions(read: _Reader, document: dict[str, Any]) -> tuple[TransferRegion, ...]:
    """`transfers`: per exporting region, its countries, adequate destinations and recognized recipient
    safeguards, each citing its source; a country is in one region at most."""
    regions: list[TransferRegion] = []
    region_of: dict[str, str] = {}  # country -> the region that lists it
    for name, body in read.obj(document.get("transfers", {}), "transfers").items():
        where = f"transfers.{name}"
        body = read.obj(body, where)
        unknown_keys = set(body) - TRANSFER_REGION_KEYS
        if unknown_keys:
            raise read.fail(where, f"unknown keys {sorted(unknown_keys)}")
        read.cites(body.get("source"), f"{where}.source")
        read.cites(body.get("adequate_source"), f"{where}.adequate_source")
        read.cites(body.get("consent"), f"{where}.consent")
        countries = read.countries(body.get("countries"), f"{where}.countries")
        for index, country in enumerate(countries):
            if country in region_of:
                raise read.fail(f"{where}.countries[{index}]", f"{country} is already in {region_of[country]}")
            region_of[country] = name
        safeguards = read.obj(body.get("safeguards", {}), f"{where}.safeguards")
        for safeguard, source in safeguards.items():
            if safeguard not in RECIPIENT_SAFEGUARDS:
                raise read.fail(
                    f"{where}.safeguards.{safeguard}",
                    f"not a recipient safeguard (known: {', '.join(RECIPIENT_SAFEGUARDS)})",
                )
            read.cites(source, f"{where}.safeguards.{safeguard}")
        regions.append(
            TransferRegion(
                name=name,
                countries=frozenset(countries),
                adequate=frozenset(read.countries(body.get("adequate", []), f"{where}.adequate")),
                safeguards=tuple(safeguard for safeguard in RECIPIENT_SAFEGUARDS if safeguard in safeguards),
            )
        )
    return tuple(regions)


def _method_table(read: _Reader, document: dict[str, Any]) -> MethodTable:
    """`methods`: per category of purpose the methods that can decide it (every category named)."""
    methods = read.obj(document.get("methods"), "methods")
    by_category = read.obj(methods.get("by_category"), "methods.by_category")
    for category in PURPOSE_CATEGORIES:
        if category not in by_category:
            raise read.fail("methods.by_category", f"names no methods for {category} purposes")
    for category in by_category:
        if category not in PURPOSE_CATEGORIES:
            raise read.fail(
                f"methods.by_category.{category}", f"unknown category (known: {', '.join(PURPOSE_CATEGORIES)})"
            )
    return MethodTable(
        by_category={
            category: read.methods(listed, f"methods.by_category.{category}")
            for category, listed in by_category.items()
        },
        only_from_flow=read.methods(methods.get("only_from_flow", []), "methods.only_from_flow"),
    )


@dataclass(frozen=True)
class _AgeRule:
    countries: frozenset[str] | None  # None: everywhere
    purposes: tuple[str, ...]  # or ("*",)
    under: int
    limit: MinorLimit


def _age_rules(
    read: _Reader,
    entries: Any,
    where: str,
    known_purposes: frozenset[str] | set[str],
    regions: dict[str, frozenset[str]],
) -> list[_AgeRule]:
    """An age rule: `purposes` (keys or "*"), `under` (an age), `allows` (any_grant, guardian or
    nothing; guardian if not given), optional `countries` (codes or transfer region names, e.g. EEA;
    everywhere if not given) and a `source` (the statute, or the notice's promise)."""
    if not isinstance(entries, list):
        raise read.fail(where, "must be a list of age rules")
    rules = []
    for index, entry in enumerate(entries):
        here = f"{where}[{index}]"
        entry = read.obj(entry, here)
        unknown_keys = set(entry) - {"name", "purposes", "under", "allows", "countries", "source"}
        if unknown_keys:
            raise read.fail(here, f"unknown keys {sorted(unknown_keys)}")
        if not isinstance(entry.get("source"), str) or not entry["source"].strip():
            raise read.fail(f"{here}.source", "every age rule cites its source (statute, guidance or notice)")
        purposes = entry.get("purposes")
        if not isinstance(purposes, list) or not purposes:
            raise read.fail(f"{here}.purposes", 'must be a non-empty list of purpose keys or "*"')
        for position, purpose in enumerate(purposes):
            if purpose != EVERY_CONSENT_PURPOSE and purpose not in known_purposes:
                raise read.fail(
                    f"{here}.purposes[{position}]",
                    f"{purpose!r} is not a purpose of the catalogue "
                    "(an operator's own purpose is declared in policy.operator_purposes)",
                )
        allows = entry.get("allows", "guardian")
        if allows not in LIMIT_NAMES:
            raise read.fail(f"{here}.allows", f"{allows!r} is not one of {', '.join(LIMIT_NAMES)}")
        countries: frozenset[str] | None = None
        if "countries" in entry:
            if not isinstance(entry["countries"], list) or not entry["countries"]:
                raise read.fail(f"{here}.countries", "must be a non-empty list of country codes or region names")
            named: set[str] = set()
            for position, name in enumerate(entry["countries"]):
                if name in regions:
                    named |= regions[name]
                else:
                    named |= set(read.countries([name], f"{here}.countries[{position}]"))
            countries = frozenset(named)
        rules.append(
            _AgeRule(countries, tuple(purposes), read.age(entry.get("under"), f"{here}.under"), LIMIT_NAMES[allows])
        )
    return rules


def _minor_rules_by_country(
    default_age: int, age_by_country: dict[str, int], rules: list[_AgeRule]
) -> tuple[dict[str, MinorRules], MinorRules]:
    """Each country's age rules, and those of a country no rule names: the age of digital consent
    (a guardian consents below it), then every law and policy rule that reaches the country."""

    def build(country: str | None) -> MinorRules:
        every = [(age_by_country.get(country or "", default_age), MinorLimit.GUARDIAN)]
        by_purpose: dict[str, list[tuple[int, MinorLimit]]] = {}
        for rule in rules:
            if rule.countries is not None and country not in rule.countries:
                continue
            for purpose in rule.purposes:
                target = every if purpose == EVERY_CONSENT_PURPOSE else by_purpose.setdefault(purpose, [])
                target.append((rule.under, rule.limit))
        return MinorRules(every=tuple(every), by_purpose={key: tuple(pairs) for key, pairs in by_purpose.items()})

    named = set(age_by_country).union(*(rule.countries for rule in rules if rule.countries is not None))
    return {country: build(country) for country in named}, build(None)


def split_jurisdiction(jurisdiction: str | None) -> tuple[str | None, str | None]:
    """(country, region) of a jurisdiction as RegimeRules.jurisdiction names it: "US-CA" -> ("US", "US-CA"),
    "DE" -> ("DE", None), None -> (None, None)."""
    if jurisdiction is None:
        return None, None
    if "-" in jurisdiction:
        return jurisdiction[:2], jurisdiction
    return jurisdiction, None
