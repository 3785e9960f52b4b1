"""The visitor's country as the CDN reports it in a configured header; never guessed from the IP."""
from __future__ import annotations

from flask import request

from consent_service.regimes.service import COUNTRY_CODE
from consent_service.runtime import runtime


def country_from_cdn() -> str | None:
    header = runtime().settings.country_header
    value = request.headers.get(header, "").strip().upper() if header else ""
    return value if COUNTRY_CODE.fullmatch(value) else None
