"""Privacy requests for the console, report and metrics tests, filed and refused through the service's flows
(as the operator API files them), at the time of the clock given."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from consent_service.extensions import db
from consent_service.flows.file_privacy_request import file_privacy_request
from consent_service.flows.refuse_privacy_request import refuse_privacy_request
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.runtime import app_signer, runtime

OPERATOR = "operator:test"
# What a type asks for besides the identifier.
DETAILS = {"correction": {"correction": "My surname is spelt Meyer"}, "objection": {"objection": "direct_marketing"}}


def file_request(clock: Callable[[], datetime], *, type: str, country: str, region: str | None = None,
                 verified: bool = False, subject_id: str = "c-1") -> PrivacyRequest:
    """A request received through the API at clock(): unverified (it waits for the person, open), or verified
    (its own part runs at once; it completes at once when no systems are configured)."""
    state = runtime()
    return file_privacy_request(
        session=db.session, rules=state.rules, settings=state.settings, signer=app_signer(),
        base_url=state.settings.token_issuer, property_key=None, type=type, subject_kind="customer",
        subject_id=subject_id, contact=None, country=country, region=region, language="en", channel="api",
        details=DETAILS.get(type, {}), agent=None, verified=verified, actor=OPERATOR, evidence={}, now=clock(),
    )


def refuse(clock: Callable[[], datetime], request_id: str, reason: str) -> PrivacyRequest:
    state = runtime()
    return refuse_privacy_request(
        session=db.session, settings=state.settings, signer=app_signer(), base_url=state.settings.token_issuer,
        request_id=request_id, reason=reason, actor=OPERATOR, now=clock(),
    )
