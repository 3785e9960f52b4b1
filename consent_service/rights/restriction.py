"""Restriction of processing (GDPR Art. 18): while restricted, checks refuse all but what the service needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject


def set_restriction(*, session: Session, kind: str, external_id: str, restricted: bool, now: datetime) -> Subject:
    """Restrict or lift; a subject not seen before is created, so a restriction can precede any event."""
    subject = subjects.lock(session=session, kind=kind, external_id=external_id, now=now)
    if subject.restricted != restricted:
        subject.restricted = restricted
        subject.restricted_at = now if restricted else None
        subject.updated_at = now
    session.flush()
    return subject
