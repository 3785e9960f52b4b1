"""What the privacy request flows share, uncommitted: sending the verification link, running a verified request
(own part, systems told), and closing one (completed or refused) with the outcome to the person.

Verification and outcome go by mail (PRIVACY_REQUEST_VERIFICATION=email: the outbox, consent_service/mail) or to
the operator's own mailer in a webhook (webhook). A closed request keeps no contact address, and a deletion keeps
only its pseudonym (rights.erasure.erased_id) where the identifier was once it has run (the systems have it from
the privacy_request.verified webhook) or closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.config import Settings
from consent_service.flows.fulfil_privacy_request import fulfil
from consent_service.mail import service as mail
from consent_service.preferences.links import LinkKind, LinkSigner, SignedLink
from consent_service.privacy_requests import mails
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.regimes.service import RegimeRules
from consent_service.rights.erasure import erased_id
from consent_service.vocabulary import RequestStatus, RequestType, Verification, WebhookEventType
from consent_service.webhooks import service as webhooks

VERIFY_PATH = "/privacy-requests/verify/"
STATUS_PATH = "/privacy-requests/status/"
# What a closed deletion keeps of its details: nothing that could name the person.
NON_PERSONAL_DETAILS = frozenset({"objection"})
OUTCOME_EVENTS = {
    RequestStatus.COMPLETED: WebhookEventType.PRIVACY_REQUEST_COMPLETED,
    RequestStatus.REFUSED: WebhookEventType.PRIVACY_REQUEST_REFUSED,
}


def link(signer: LinkSigner, base_url: str, kind: LinkKind, request: PrivacyRequest) -> tuple[str, SignedLink]:
    """The URL of a signed link to this request (verification or status) and its signature."""
    signed = signer.sign(kind, {"r": request.id, "l": request.language})
    path = VERIFY_PATH if kind is LinkKind.PRIVACY_REQUEST_VERIFY else STATUS_PATH
    return f"{base_url}{path}{signed.token}", signed


def send_verification(
    *, session: Session, settings: Settings, signer: LinkSigner, base_url: str, request: PrivacyRequest, now: datetime
) -> None:
    """The signed link that proves the request is the person's: mailed to its contact, or given to the
    operator's mailer in a privacy_request.verification_requested webhook."""
    url, signed = link(signer, base_url, LinkKind.PRIVACY_REQUEST_VERIFY, request)
    if request.verification == Verification.EMAIL:
        assert request.contact is not None  # file_privacy_request requires it in email mode
        mail.enqueue(
            session=session,
            mail=mails.verification_mail(
                to=request.contact, language=request.language, request=request, url=url, expires_at=signed.expires_at
            ),
            now=now,
        )
    else:
        webhooks.enqueue(
            session=session,
            type=WebhookEventType.PRIVACY_REQUEST_VERIFICATION_REQUESTED,
            data={
                "request": request.id,
                "type": request.type,
                "subject": {"kind": request.subject_kind, "id": request.subject_id},
                "contact": request.contact,
                "language": request.language,
                "url": url,
                "expires_at": webhooks.iso(signed.expires_at),
            },
            ordering_key=request.id,
            now=now,
        )
    privacy_requests.record_step(
        session=session,
        request=request,
        action="verification_sent",
        actor="service",
        now=now,
        details={"by": request.verification, "expires_at": webhooks.iso(signed.expires_at)},
    )


def run_verified(
    *,
    session: Session,
    rules: RegimeRules,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request: PrivacyRequest,
    pepper: str,
    now: datetime,
) -> None:
    """A request whose identity is proven (or needs no proof): the service's own part at once, the operator's
    systems told in a privacy_request.verified webhook, and the request completed when no system must report."""
    request.status = RequestStatus.IN_PROGRESS.value
    done = fulfil(session=session, rules=rules, request=request, pepper=pepper, now=now)
    privacy_requests.record_step(
        session=session, request=request, action="own_part_done", actor="service", now=now, details=done
    )
    systems = settings.privacy_request_systems
    privacy_requests.add_systems(session=session, request=request, names=systems)
    # Downstream systems act now; for a deletion this names the identifier until delivered (retention forgets it).
    webhooks.enqueue(
        session=session,
        type=WebhookEventType.PRIVACY_REQUEST_VERIFIED,
        data={
            "request": request.id,
            "type": request.type,
            "subject": {"kind": request.subject_kind, "id": request.subject_id},
            "details": request.details,
            "due_at": webhooks.iso(request.due_at),
            "systems": list(systems),
        },
        ordering_key=request.id,
        now=now,
    )
    if request.type == RequestType.DELETION:
        # Erased here and announced: from now on the request names its person by pseudonym only.
        request.subject_id = erased_id(pepper=pepper, kind=request.subject_kind, external_id=request.subject_id)
    if systems:
        privacy_requests.record_step(
            session=session,
            request=request,
            action="systems_notified",
            actor="service",
            now=now,
            details={"systems": list(systems)},
        )
    else:
        close(
            session=session,
            settings=settings,
            signer=signer,
            base_url=base_url,
            request=request,
            status=RequestStatus.COMPLETED,
            outcome=None,
            actor="service",
            now=now,
        )


def close(
    *,
    session: Session,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request: PrivacyRequest,
    status: RequestStatus,
    outcome: str | None,
    actor: str,
    now: datetime,
) -> None:
    """Complete or refuse: the step, the outcome to the person (mail, or the operator's mailer by webhook),
    then nothing personal kept that the closed request no longer needs."""
    request.status = status.value
    request.closed_at = now
    request.outcome = outcome
    privacy_requests.record_step(
        session=session,
        request=request,
        action="completed" if status is RequestStatus.COMPLETED else "refused",
        actor=actor,
        now=now,
        details={} if outcome is None else {"reason": outcome},
    )
    sent_by = _send_outcome(session, settings, signer, base_url, request, status, now)
    if sent_by is not None:
        privacy_requests.record_step(
            session=session, request=request, action="outcome_sent", actor="service", now=now, details={"by": sent_by}
        )
    _forget_personal_data(request, pepper=settings.erasure_pepper)


def _send_outcome(
    session: Session,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request: PrivacyRequest,
    status: RequestStatus,
    now: datetime,
) -> str | None:
    """How the outcome left (email, webhook), or None when it went nowhere (no contact, no endpoint)."""
    status_url, _ = link(signer, base_url, LinkKind.PRIVACY_REQUEST_STATUS, request)
    if settings.privacy_request_verification == Verification.EMAIL:
        if request.contact is None:
            return None
        mail.enqueue(
            session=session,
            mail=mails.outcome_mail(
                to=request.contact, language=request.language, request=request, status_url=status_url
            ),
            now=now,
        )
        return Verification.EMAIL.value
    data: dict[str, Any] = {
        "request": request.id,
        "type": request.type,
        "status": status.value,
        "reason": request.outcome,
        "contact": request.contact,
        "language": request.language,
        "status_url": status_url,
        "closed_at": webhooks.iso(now),
    }
    event = webhooks.enqueue(session=session, type=OUTCOME_EVENTS[status], data=data, ordering_key=request.id, now=now)
    return None if event is None else Verification.WEBHOOK.value


def _forget_personal_data(request: PrivacyRequest, *, pepper: str) -> None:
    """A closed request needs no address to answer; a closed deletion names its person by pseudonym only."""
    request.contact = None
    if request.type != RequestType.DELETION:
        return
    request.subject_id = erased_id(pepper=pepper, kind=request.subject_kind, external_id=request.subject_id)
    request.details = {key: value for key, value in request.details.items() if key in NON_PERSONAL_DETAILS}
    if request.agent is not None:
        request.agent = {key: value for key, value in request.agent.items() if key != "email"}
