"""One of the operator's systems reports on a privacy request; the last `done` completes it; commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.config import Settings
from consent_service.errors import Conflict, NotFound, ValidationFailed
from consent_service.flows.run_privacy_request import close
from consent_service.preferences.links import LinkSigner
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestSystem
from consent_service.vocabulary import RequestStatus, SystemStatus

MAX_DETAIL = 2000


class NotInProgress(Conflict):
    code, message = "not_in_progress", "Systems report only on a verified request that is not closed."


class UnknownSystem(NotFound):
    message = "This system is not one the request waits for."


def report_system(
    *,
    session: Session,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    request_id: str,
    name: str,
    status: SystemStatus | str,
    detail: str | None,
    actor: str,
    now: datetime,
) -> PrivacyRequest:
    """Record the system's report (`done` or `failed`; a later report replaces it); once every system is done the
    request completes and the person gets the outcome."""
    reported = SystemStatus(status)
    if reported is SystemStatus.PENDING:
        raise ValidationFailed("A system reports done or failed.", errors={"status": ["One of done, failed."]})
    if detail is not None and len(detail) > MAX_DETAIL:
        raise ValidationFailed(errors={"detail": [f"At most {MAX_DETAIL} characters."]})
    request = privacy_requests.lock(session=session, request_id=request_id)
    # Systems are told (and their rows made) at verification: before it and after the close nobody reports.
    if request.status != RequestStatus.IN_PROGRESS:
        raise NotInProgress()
    system = session.get(PrivacyRequestSystem, (request.id, name))
    if system is None:
        raise UnknownSystem()
    system.status = reported.value
    system.reported_at = now
    system.detail = detail
    privacy_requests.record_step(
        session=session,
        request=request,
        action="system_reported",
        actor=actor,
        now=now,
        details={"system": name, "status": reported.value},
    )
    systems = privacy_requests.systems_of(session=session, request_id=request.id)
    if all(each.status == SystemStatus.DONE for each in systems):
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
    session.commit()
    return request
