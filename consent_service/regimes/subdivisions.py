"""Subdivision rules (ISO 3166-2: US-CA, CA-QC, ...): each entry inherits the policy of a country, another
subdivision or a regime and changes only what its own law changes; resolved once when the rules load.

An answer's policy resolves subdivision, then country, then the default regime (RegimeRules.policy_for).
Inheritance is by name, so an entry changes its own answers and those of the entries that inherit it by
name, never any other's. The ISO 3166-2 codes come from pycountry (LGPL-2.1, used unmodified as a
library): a code it does not know stops the start, as a region it does not know is refused on a request.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry

from consent_service.errors import ValidationFailed
from consent_service.vocabulary import Decision, Regime

if TYPE_CHECKING:
    from consent_service.regimes.service import RegimePolicy, _Reader

SUBDIVISION_CODE = re.compile(r"([A-Z]{2})-[A-Z0-9]{1,3}")
ENTRY_KEYS = frozenset(
    {"name", "inherits", "consent_methods", "gpc_purposes", "purposes", "recording_all_parties", "source"}
)
PURPOSE_RULE_KEYS = frozenset({"default", "consent_methods", "source"})


@functools.cache
def subdivision_codes() -> frozenset[str]:
    """Every ISO 3166-2 code (pycountry's data), read once, on first use (the rules load). Read from pycountry's
    own file: building its 5,000 subdivision objects for their codes took four times as long, at every start."""
    with (Path(pycountry.DATABASE_DIR) / "iso3166-2.json").open(encoding="utf-8") as file:
        return frozenset(entry["code"] for entry in json.load(file)["3166-2"])


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


class RegionContradictsCountry(ValidationFailed):
    code = "region_contradicts_country"
    message = "The region is not in the country given."


class UnknownRegion(ValidationFailed):
    code = "unknown_region"
    message = "The region is not an ISO 3166-2 subdivision."


def place(country: str | None, region: str | None, *, field: str = "region") -> str | None:
    """The country of a request that names `country`, `region`, both or neither: the region's own country
    when only it is given. A region unknown to ISO 3166-2, or in another country than the one given, is a
    422 naming `field`: an answer for a place the caller did not mean would be wrong."""
    if region is None:
        return country
    if region not in subdivision_codes():
        raise UnknownRegion(errors={field: [f"{region} is not an ISO 3166-2 subdivision code."]})
    if country is not None and region[:2] != country:
        raise RegionContradictsCountry(errors={field: [f"{region} is not in {country}."]})
    return region[:2]


def parse_subdivisions(
    read: _Reader,
    section: Any,
    *,
    regime_policies: dict[Regime, RegimePolicy],
    country_policy: Callable[[str], RegimePolicy],
) -> dict[str, RegimePolicy]:
    """`subdivisions.entries`: per ISO 3166-2 code, the policy its answers use. An entry inherits (its
    `inherits`: a subdivision entry, a country code or a regime name; its own country when not given) and
    may change `consent_methods`, `gpc_purposes`, `purposes` (per purpose: default, consent_methods) and
    `recording_all_parties`; it cites its `source`. Every purpose an entry names has a default, its own or
    inherited. Unknown codes, unknown parents and cycles stop the start, naming the entry."""
    entries = read.obj(read.obj(section, "subdivisions").get("entries", {}), "subdivisions.entries")
    for code, entry in entries.items():
        _check_entry(read, code, entry)
    resolved: dict[str, RegimePolicy] = {}

    def resolve(code: str, path: tuple[str, ...]) -> RegimePolicy:
        if code in resolved:
            return resolved[code]
        where = f"subdivisions.entries.{code}"
        if code in path:
            raise read.fail(where, f"inherits itself: {' -> '.join((*path[path.index(code) :], code))}")
        parent = entries[code].get("inherits", code[:2])
        if parent in entries:
            base = resolve(parent, (*path, code))
        elif parent in {regime.value for regime in Regime} and Regime(parent) in regime_policies:
            base = regime_policies[Regime(parent)]
        elif parent in country_codes():
            base = country_policy(parent)
        else:
            raise read.fail(f"{where}.inherits", f"{parent!r} is no subdivision entry, country code or regime here")
        resolved[code] = _apply(read, where, base, entries[code])
        return resolved[code]

    for code in entries:
        resolve(code, ())
    return resolved


def _check_entry(read: _Reader, code: str, entry: Any) -> None:
    where = f"subdivisions.entries.{code}"
    if not SUBDIVISION_CODE.fullmatch(code) or code not in subdivision_codes():
        raise read.fail(where, f"{code!r} is not an ISO 3166-2 subdivision code")
    entry = read.obj(entry, where)
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise read.fail(where, f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(ENTRY_KEYS))})")
    if not isinstance(entry.get("source"), str) or not entry["source"].strip():
        raise read.fail(f"{where}.source", "every subdivision rule cites its source (statute and section)")
    if "recording_all_parties" in entry and not isinstance(entry["recording_all_parties"], bool):
        raise read.fail(f"{where}.recording_all_parties", "must be true or false")


def _apply(read: _Reader, where: str, base: RegimePolicy, entry: dict) -> RegimePolicy:
    """`base` with what the entry changes; a purpose it names must end with a default."""
    changes: dict[str, Any] = {}
    paths = dict(base.paths)
    if "consent_methods" in entry:
        changes["consent_methods"] = read.methods(entry["consent_methods"], f"{where}.consent_methods")
    if "gpc_purposes" in entry:
        changes["gpc_purposes"] = frozenset(read.purposes(entry["gpc_purposes"], f"{where}.gpc_purposes"))
        paths["gpc_purposes"] = f"{where}.gpc_purposes"
    if "recording_all_parties" in entry:
        changes["recording_all_parties"] = entry["recording_all_parties"]
        paths["recording_all_parties"] = f"{where}.recording_all_parties"
    purpose_methods, purpose_defaults = dict(base.purpose_methods), dict(base.purpose_defaults)
    for purpose, rule in read.obj(entry.get("purposes", {}), f"{where}.purposes").items():
        rule_where = f"{where}.purposes.{purpose}"
        rule = read.obj(rule, rule_where)
        if set(rule) - PURPOSE_RULE_KEYS:
            raise read.fail(rule_where, f"unknown keys {sorted(set(rule) - PURPOSE_RULE_KEYS)}")
        if "consent_methods" in rule:
            purpose_methods[purpose] = read.methods(rule["consent_methods"], f"{rule_where}.consent_methods")
        if "default" in rule:
            if rule["default"] not in (Decision.GRANTED, Decision.DENIED):
                raise read.fail(f"{rule_where}.default", "must be granted or denied")
            purpose_defaults[purpose] = Decision(rule["default"])
            paths[f"purposes.{purpose}.default"] = f"{rule_where}.default"
        if purpose not in purpose_defaults:
            raise read.fail(rule_where, "has no default, neither its own nor inherited (granted or denied)")
    return replace(base, purpose_methods=purpose_methods, purpose_defaults=purpose_defaults, paths=paths, **changes)
