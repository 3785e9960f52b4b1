"""The copy of a completed access request's data, for the holder of its status link; each download a step; commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.errors import Conflict
from consent_service.privacy_requests import service as privacy_requests
from consent_service.regimes.service import RegimeRules
from consent_service.rights.export import export
from consent_service.vocabulary import RequestStatus, RequestType


class NoExport(Conflict):
    code, message = "no_export", "Only a completed access request offers a copy of the data."


def download_privacy_request_export(
    *, session: Session, rules: RegimeRules, request_id: str, pepper: str, now: datetime
) -> dict[str, Any]:
    """Everything held about the request's subject now (rights.export: schemas/subject-export.schema.json); the
    verified person may learn that nothing is held (rights.export's NotFound), nobody else reaches this."""
    request = privacy_requests.lock(session=session, request_id=request_id)
    if request.type != RequestType.ACCESS or request.status != RequestStatus.COMPLETED:
        raise NoExport()
    exported = export(
        session=session, kind=request.subject_kind, external_id=request.subject_id, rules=rules, pepper=pepper, now=now
    )
    privacy_requests.record_step(
        session=session, request=request, action="downloaded", actor="person", now=now, details={}
    )
    session.commit()
    return exported
