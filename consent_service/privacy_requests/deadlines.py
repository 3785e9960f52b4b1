"""When a privacy request is due: the law of the person's place (a region's over its country's), its period
counted from receipt, and the one extension the law allows. Pure functions of the rules file's data."""

from __future__ import annotations

from datetime import datetime

from consent_service.errors import Conflict
from consent_service.regimes.privacy_request_rules import Law, RequestRules
from consent_service.vocabulary import RequestType

__all__ = ["Law", "NoExtension", "due_at", "extended_due_at", "law_for", "needs_verification"]


class NoExtension(Conflict):
    """The law of this request allows no extension of its deadline."""

    code, message = "no_extension", "The law of this request allows no extension."


def law_for(rules: RequestRules, *, country: str | None, region: str | None) -> Law:
    """The law whose deadline binds a request from this place: the region's, else the country's, else `default`."""
    key = rules.by_region.get(region or "") or rules.by_country.get(country or "")
    return rules.laws[key] if key else rules.default


def due_at(rules: RequestRules, law: Law, *, type: RequestType, received_at: datetime) -> datetime:
    """The deadline of a request received then: the law's period (calendar months: 31 Jan + 1 month = 28/29 Feb,
    or days), or the notice's promise for this type where that is sooner (a promise never gives more time)."""
    by_law = law.respond_within.after(received_at)
    promise = rules.promise_for(type)
    return by_law if promise is None else min(by_law, promise.after(received_at))


def extended_due_at(law: Law, *, due_at: datetime) -> datetime:
    """The deadline after the law's extension; NoExtension where it allows none."""
    if law.extension is None:
        raise NoExtension(f"{law.name} allows no extension of the deadline.")
    return law.extension.after(due_at)


def needs_verification(rules: RequestRules, type: RequestType) -> bool:
    """Whether a request of this type runs only once the person has proven it is theirs."""
    return type not in rules.unverified_types
