"""Access and portability: everything held about one subject, in the shape of schemas/subject-export.schema.json."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.errors import NotFound
from consent_service.regimes.service import RegimeRules
from consent_service.subjects import service as subjects
from consent_service.tokens import service as tokens
from consent_service.vocabulary import SubjectKind

EXPORT_SCHEMA_ID = "https://consent.example/schemas/subject-export.schema.json"


def export(
    *, session: Session, kind: str, external_id: str, rules: RegimeRules, pepper: str, now: datetime
) -> dict[str, Any]:
    """The subject, its state, its whole ledger, its links, restriction, issued tokens, and what the
    suppression entry of an earlier erasure of its identifier keeps, if there was one."""
    subject = subjects.find(session=session, kind=kind, external_id=external_id)
    if subject is None:
        raise NotFound("Nothing is held about this subject.")
    state = consents.read_state(
        session=session, kind=kind, external_id=external_id, rules=rules, now=now, pepper=pepper
    )
    links = subjects.links_of(session=session, subject=subject)
    suppression = subjects.suppression(session=session, pepper=pepper, kind=kind, external_id=external_id)
    return {
        "$schema": EXPORT_SCHEMA_ID,
        "exported_at": now,
        "subject": {
            "kind": subject.kind,
            "id": subject.external_id,
            "country": subject.country,
            "minor_until": subject.minor_until,
            "born_by": subject.born_by,
            "created_at": subject.created_at,
            "updated_at": subject.updated_at,
        },
        "restriction": {"restricted": subject.restricted, "since": subject.restricted_at},
        "state": state,
        "events": consents.events_of(session=session, subject_id=subject.id),
        "links": {
            "visitors": [s.external_id for s in links] if kind == SubjectKind.CUSTOMER else [],
            "customer": links[0].external_id if kind == SubjectKind.VISITOR and links else None,
        },
        "tokens": tokens.issued_to(session=session, subject_id=subject.id),
        "suppression": None
        if suppression is None
        else {
            "since": suppression.created_at,
            "communication": True,
            # None: an entry written before erasure kept refusals (communication purposes only).
            "refused_purposes": suppression.refused_purposes or [],
        },
    }
