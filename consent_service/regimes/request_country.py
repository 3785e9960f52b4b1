"""The visitor's country and region as the CDN reports them in configured headers: never guessed from the IP,
never the client's word."""

from __future__ import annotations

import re

from flask import request

from consent_service.regimes.service import COUNTRY_CODE, RegimeRules
from consent_service.regimes.subdivisions import SUBDIVISION_CODE, subdivision_codes
from consent_service.runtime import runtime
from consent_service.vocabulary import Regime

# What CDNs send for the region: the whole ISO 3166-2 code (US-CA), or only its part after the country's
# (CloudFront-Viewer-Country-Region, Cloudflare's cf-region-code: "CA"), completed with the country header's.
REGION_PART = re.compile(r"[A-Z0-9]{1,3}")


def country_from_cdn() -> str | None:
    value = _header(runtime().settings.country_header)
    return value if COUNTRY_CODE.fullmatch(value) else None


def place_from_cdn() -> tuple[str | None, str | None]:
    """(country, region) of the CDN's headers; a region it cannot place in the country (unknown, or of
    another country) is left out, as a malformed country is."""
    country = country_from_cdn()
    value = _header(runtime().settings.region_header)
    if country is not None and REGION_PART.fullmatch(value):
        value = f"{country}-{value}"
    if not SUBDIVISION_CODE.fullmatch(value) or value not in subdivision_codes():
        return country, None
    if country is not None and value[:2] != country:
        return country, None
    return country or value[:2], value


def _header(name: str) -> str:
    return request.headers.get(name, "").strip().upper() if name else ""


def visitor_jurisdiction(
    rules: RegimeRules, *, claimed_country: str | None = None, claimed_region: str | None = None
) -> str | None:
    """The jurisdiction of a public (publishable-key) request: the CDN headers' place decides, the default
    regime without one; what the client claims (a banner's data-country, data-region) can only make the
    answer stricter (RegimeRules.public_jurisdiction)."""
    country, region = place_from_cdn()
    return rules.public_jurisdiction(
        trusted_country=country, trusted_region=region, claimed_country=claimed_country, claimed_region=claimed_region
    )


def visitor_regime(
    rules: RegimeRules, *, claimed_country: str | None = None, claimed_region: str | None = None
) -> Regime:
    """The regime of a public request's jurisdiction (visitor_jurisdiction)."""
    return rules.policy_for(
        visitor_jurisdiction(rules, claimed_country=claimed_country, claimed_region=claimed_region)
    ).regime
