"""The rules file's `privacy_requests` block: the laws' deadlines for answering a person, what each type of
request needs verified, and when a request counts as due soon; validated when the rules load.

A rules file without the block (an operator's older RULES_FILE) takes the shipped file's: deadlines are
the law, not a choice an operator made by leaving a block out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from consent_service.regimes.subdivisions import SUBDIVISION_CODE, subdivision_codes
from consent_service.vocabulary import RequestType

if TYPE_CHECKING:
    from consent_service.regimes.service import _Reader

DEFAULT_LAW = "default"
LAW_KEYS = frozenset({"name", "respond_within", "extension", "countries", "regions", "source"})
BLOCK_KEYS = frozenset({"source", "laws", "verification", "due_soon_days", "promises"})
PROMISE_KEYS = frozenset({"source", "respond_within", "by_type"})
PERIOD_UNITS = ("months", "days")
VERIFICATION_LEVELS = ("none", "identity")
LAW_KEY_LENGTH = 32  # privacy_requests.law is a String(32)


@dataclass(frozen=True)
class Period:
    """A statutory period: calendar months or days (one of them)."""

    months: int = 0
    days: int = 0

    def after(self, moment: datetime) -> datetime:
        """`moment` plus this period; months are calendar months (31 Jan + 1 month = 28/29 Feb)."""
        return moment + relativedelta(months=self.months, days=self.days)

    def to_json(self) -> dict[str, int]:
        return {"months": self.months} if self.months else {"days": self.days}


@dataclass(frozen=True)
class Law:
    """One law's deadline for answering a privacy request, with its extension (None: none allowed)."""

    key: str
    name: str
    respond_within: Period
    extension: Period | None
    countries: frozenset[str]
    regions: frozenset[str]


@dataclass(frozen=True)
class RequestRules:
    laws: dict[str, Law]
    # Country or region -> the law's key; a region's entry wins over its country's.
    by_country: dict[str, str]
    by_region: dict[str, str]
    # Request types whose requests run without proving identity (CCPA: opt-out of sale).
    unverified_types: frozenset[RequestType]
    due_soon_days: int
    # What the operator's notice promises (e.g. "we will respond within 45 days"), per type or for every type:
    # a promise can only make a deadline sooner, never later than the law's.
    promised: dict[RequestType | None, Period] = field(default_factory=dict)

    @property
    def default(self) -> Law:
        return self.laws[DEFAULT_LAW]

    def promise_for(self, type: RequestType) -> Period | None:
        """The notice's promise for this type of request: its own, else the one for every type, else none."""
        return self.promised.get(type) or self.promised.get(None)


def parse_request_rules(read: _Reader, document: dict[str, Any], *, shipped: Path) -> RequestRules:
    """`privacy_requests`: `laws` (key -> name, respond_within, extension, countries, regions, source; a
    `default` law), `verification` (every request type -> none or identity, with its source), `due_soon_days`."""
    if "privacy_requests" not in document:
        return parse_request_rules(read, json.loads(shipped.read_text(encoding="utf-8")), shipped=shipped)
    block = read.obj(document["privacy_requests"], "privacy_requests")
    unknown = set(block) - BLOCK_KEYS
    if unknown:
        raise read.fail("privacy_requests", f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(BLOCK_KEYS))})")
    read.cites(block.get("source"), "privacy_requests.source")
    laws: dict[str, Law] = {}
    by_country: dict[str, str] = {}
    by_region: dict[str, str] = {}
    for key, body in read.obj(block.get("laws"), "privacy_requests.laws").items():
        law = _law(read, key, body)
        places = [(country, by_country) for country in law.countries] + [(region, by_region) for region in law.regions]
        for place, table in places:
            if place in table:
                raise read.fail(f"privacy_requests.laws.{key}", f"{place} is already under {table[place]}")
            table[place] = key
        laws[key] = law
    if DEFAULT_LAW not in laws:
        raise read.fail("privacy_requests.laws", "names no `default` law for places no other law lists")
    if laws[DEFAULT_LAW].countries or laws[DEFAULT_LAW].regions:
        raise read.fail("privacy_requests.laws.default", "applies where no other law does: it lists no places")
    days = block.get("due_soon_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 60:
        raise read.fail("privacy_requests.due_soon_days", f"{days!r} is not a number of days from 1 to 60")
    return RequestRules(
        laws=laws,
        by_country=by_country,
        by_region=by_region,
        unverified_types=_unverified_types(read, block.get("verification")),
        due_soon_days=days,
        promised=_promises(read, block.get("promises")),
    )


def _law(read: _Reader, key: str, body: Any) -> Law:
    where = f"privacy_requests.laws.{key}"
    body = read.obj(body, where)
    if not key.replace("_", "").isalnum() or len(key) > LAW_KEY_LENGTH:
        raise read.fail(where, f"a law's key is letters, digits and _ (at most {LAW_KEY_LENGTH})")
    unknown = set(body) - LAW_KEYS
    if unknown:
        raise read.fail(where, f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(LAW_KEYS))})")
    read.cites(body.get("source"), f"{where}.source")
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise read.fail(f"{where}.name", "must name the law")
    regions = body.get("regions", [])
    if not isinstance(regions, list):
        raise read.fail(f"{where}.regions", "must be a list of ISO 3166-2 codes")
    for index, region in enumerate(regions):
        if not isinstance(region, str) or not SUBDIVISION_CODE.fullmatch(region) or region not in subdivision_codes():
            raise read.fail(f"{where}.regions[{index}]", f"{region!r} is not an ISO 3166-2 code")
    extension = body.get("extension")
    return Law(
        key=key,
        name=body["name"],
        respond_within=_period(read, body.get("respond_within"), f"{where}.respond_within"),
        extension=None if extension is None else _period(read, extension, f"{where}.extension"),
        countries=frozenset(read.countries(body.get("countries", []), f"{where}.countries")),
        regions=frozenset(regions),
    )


def _period(read: _Reader, value: Any, where: str) -> Period:
    period = read.obj(value, where)
    if len(period) != 1 or next(iter(period)) not in PERIOD_UNITS:
        raise read.fail(where, 'must be {"months": n} or {"days": n}')
    unit, amount = next(iter(period.items()))
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= (12 if unit == "months" else 366):
        raise read.fail(f"{where}.{unit}", f"{amount!r} is not a number of {unit} within a year")
    return Period(**{unit: amount})


def _promises(read: _Reader, value: Any) -> dict[RequestType | None, Period]:
    """`promises` (optional): the notice's own deadlines, `respond_within` for every type and `by_type`, cited."""
    if value is None:
        return {}
    where = "privacy_requests.promises"
    block = read.obj(value, where)
    unknown = set(block) - PROMISE_KEYS
    if unknown:
        raise read.fail(where, f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(PROMISE_KEYS))})")
    read.cites(block.get("source"), f"{where}.source")
    promised: dict[RequestType | None, Period] = {}
    if "respond_within" in block:
        promised[None] = _period(read, block["respond_within"], f"{where}.respond_within")
    known = {kind.value for kind in RequestType}
    for name, period in read.obj(block.get("by_type", {}), f"{where}.by_type").items():
        if name not in known:
            raise read.fail(f"{where}.by_type.{name}", f"not a request type (known: {', '.join(sorted(known))})")
        promised[RequestType(name)] = _period(read, period, f"{where}.by_type.{name}")
    return promised


def _unverified_types(read: _Reader, value: Any) -> frozenset[RequestType]:
    verification = read.obj(value, "privacy_requests.verification")
    read.cites(verification.get("source"), "privacy_requests.verification.source")
    known = {kind.value for kind in RequestType}
    for name, level in verification.items():
        if name == "source":
            continue
        if name not in known:
            raise read.fail(f"privacy_requests.verification.{name}", f"not a request type (known: {', '.join(known)})")
        if level not in VERIFICATION_LEVELS:
            raise read.fail(f"privacy_requests.verification.{name}", f"{level!r} is not one of none, identity")
    missing = known - set(verification)
    if missing:
        raise read.fail("privacy_requests.verification", f"says nothing of {', '.join(sorted(missing))}")
    return frozenset(RequestType(name) for name, level in verification.items() if level == "none")
