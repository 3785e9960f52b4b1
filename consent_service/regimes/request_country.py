"""The visitor's country as the CDN reports it in a configured header; never guessed from the IP, never the client's word."""
from __future__ import annotations

from flask import request

from consent_service.regimes.service import COUNTRY_CODE, RegimeRules
from consent_service.runtime import runtime
from consent_service.vocabulary import Regime


def country_from_cdn() -> str | None:
    header = runtime().settings.country_header
    value = request.headers.get(header, "").strip().upper() if header else ""
    return value if COUNTRY_CODE.fullmatch(value) else None


def visitor_regime(rules: RegimeRules, *, claimed_country: str | None = None) -> Regime:
    """The regime of a public (publishable-key) request: the CDN header's country decides, the default
    regime without one; what the client claims (a banner's data-country) can only make it stricter."""
    return rules.public_regime(trusted_country=country_from_cdn(), claimed_country=claimed_country)
