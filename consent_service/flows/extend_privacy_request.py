"""Extend a privacy request's deadline by its law's extension, once, with the reason the person is told; commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.errors import Conflict
from consent_service.privacy_requests import deadlines
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.regimes.privacy_request_rules import RequestRules
from consent_service.vocabulary import WebhookEventType
from consent_service.webhooks import service as webhooks


class AlreadyExtended(Conflict):
    code, message = "already_extended", "This request's deadline was extended already; the law allows it once."


def extend_privacy_request(
    *, session: Session, rules: RequestRules, request_id: str, reason: str, actor: str, now: datetime
) -> PrivacyRequest:
    """Move the due date by the law's extension and record why (an `extended` step, a privacy_request.extended
    webhook); a closed request, a second extension or a law without one is a conflict."""
    reason = privacy_requests.checked_reason(reason)
    request = privacy_requests.lock(session=session, request_id=request_id)
    privacy_requests.require_open(request)
    if request.extended:
        raise AlreadyExtended()
    law = rules.laws.get(request.law, rules.default)
    before = request.due_at
    request.due_at = deadlines.extended_due_at(law, due_at=before)
    request.extended = True
    privacy_requests.record_step(
        session=session,
        request=request,
        action="extended",
        actor=actor,
        now=now,
        details={"reason": reason, "from": before.isoformat(), "to": request.due_at.isoformat()},
    )
    webhooks.enqueue(
        session=session,
        type=WebhookEventType.PRIVACY_REQUEST_EXTENDED,
        data={
            "request": request.id,
            "type": request.type,
            "reason": reason,
            "from": webhooks.iso(before),
            "to": webhooks.iso(request.due_at),
        },
        ordering_key=request.id,
        now=now,
    )
    session.commit()
    return request
