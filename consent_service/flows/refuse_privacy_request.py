"""Refuse a privacy request with its (legal) reason, which the person is told; commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.config import Settings
from consent_service.flows.run_privacy_request import close
from consent_service.preferences.links import LinkSigner
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.vocabulary import RequestStatus


def refuse_privacy_request(
    *,
    session: Session,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request_id: str,
    reason: str,
    actor: str,
    now: datetime,
) -> PrivacyRequest:
    """Close the request as refused (a closed one is a conflict); the outcome goes to the person."""
    reason = privacy_requests.checked_reason(reason)
    request = privacy_requests.lock(session=session, request_id=request_id)
    privacy_requests.require_open(request)
    close(
        session=session,
        settings=settings,
        signer=signer,
        base_url=base_url,
        request=request,
        status=RequestStatus.REFUSED,
        outcome=reason,
        actor=actor,
        now=now,
    )
    session.commit()
    return request
