"""Verify a privacy request (its signed link was followed and confirmed): it runs now; commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.config import Settings
from consent_service.errors import Conflict
from consent_service.flows.run_privacy_request import run_verified
from consent_service.preferences.links import LinkSigner
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.regimes.service import RegimeRules
from consent_service.vocabulary import RequestStatus


class RequestRefused(Conflict):
    code, message = "request_refused", "This request was refused; it no longer runs."


def verify_privacy_request(
    *,
    session: Session,
    rules: RegimeRules,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request_id: str,
    pepper: str,
    now: datetime,
) -> PrivacyRequest:
    """Mark the request verified and run it (own part, systems told, completed if none must report); a request
    verified before is returned as it is, a refused one is not run (RequestRefused)."""
    request = privacy_requests.lock(session=session, request_id=request_id)
    if request.status == RequestStatus.REFUSED:
        raise RequestRefused()
    if request.status != RequestStatus.UNVERIFIED:
        return request
    request.verified_at = now
    privacy_requests.record_step(
        session=session,
        request=request,
        action="verified",
        # The link goes to the person's own address even when an agent filed: the person confirms.
        actor="person",
        now=now,
        details={"by": request.verification},
    )
    run_verified(
        session=session,
        rules=rules,
        settings=settings,
        signer=signer,
        base_url=base_url,
        request=request,
        pepper=pepper,
        now=now,
    )
    session.commit()
    return request
