"""Reading privacy requests: one with its steps and systems, the queue by due date, how the queue stands, and
the few writes every flow shares (a step, the systems' rows). Never commits."""

from __future__ import annotations

import base64
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from consent_service.errors import Conflict, NotFound, ValidationFailed
from consent_service.privacy_requests.models import PrivacyRequest, PrivacyRequestStep, PrivacyRequestSystem
from consent_service.regimes.privacy_request_rules import RequestRules
from consent_service.vocabulary import CLOSED_REQUEST_STATUSES, RequestStatus, SystemStatus

DueState = Literal["overdue", "due_soon", "on_time", "closed"]
OPEN_STATUSES = tuple(status.value for status in RequestStatus if status not in CLOSED_REQUEST_STATUSES)
CLOSED_STATUSES = tuple(status.value for status in CLOSED_REQUEST_STATUSES)
MAX_REASON = 1000


class RequestNotFound(NotFound):
    message = "No such privacy request."


class RequestClosed(Conflict):
    code, message = "request_closed", "This request is closed; nothing changes it any more."


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"


@dataclass(frozen=True)
class Page:
    """One page of the queue; `next_cursor` fetches the next (None: this is the last)."""

    requests: list[PrivacyRequest]
    next_cursor: str | None


@dataclass(frozen=True)
class QueueSummary:
    open: int
    overdue: int
    due_soon: int
    closed: int
    median_days_to_close: float | None


def get(*, session: Session, request_id: str) -> PrivacyRequest:
    request = session.get(PrivacyRequest, request_id)
    if request is None:
        raise RequestNotFound()
    return request


def lock(*, session: Session, request_id: str) -> PrivacyRequest:
    """`get`, with the row locked until commit: two flows never change one request at once."""
    request = session.get(PrivacyRequest, request_id, with_for_update=True, populate_existing=True)
    if request is None:
        raise RequestNotFound()
    return request


def require_open(request: PrivacyRequest) -> None:
    """RequestClosed for a completed or refused request: nothing changes it any more."""
    if request.status in CLOSED_STATUSES:
        raise RequestClosed()


def checked_reason(reason: str) -> str:
    """An extension's or refusal's reason, as the person will read it: 1 to MAX_REASON characters."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(errors={"reason": [f"Why, as the person will read it (1 to {MAX_REASON} characters)."]})
    return reason


def steps_of(*, session: Session, request_id: str) -> list[PrivacyRequestStep]:
    """Everything that happened to the request, in order."""
    query = select(PrivacyRequestStep).where(PrivacyRequestStep.request_id == request_id)
    return list(session.scalars(query.order_by(PrivacyRequestStep.id)))


def systems_of(*, session: Session, request_id: str) -> list[PrivacyRequestSystem]:
    return list(
        session.scalars(
            select(PrivacyRequestSystem)
            .where(PrivacyRequestSystem.request_id == request_id)
            .order_by(PrivacyRequestSystem.name)
        )
    )


def list_requests(
    *,
    session: Session,
    status: RequestStatus | None,
    due_before: datetime | None,
    open_only: bool = False,
    limit: int = 100,
    cursor: str | None = None,
) -> Page:
    """Requests by due date (then id), soonest first; filtered by status, deadline, or open ones only."""
    query = select(PrivacyRequest).order_by(PrivacyRequest.due_at, PrivacyRequest.id).limit(limit + 1)
    if status is not None:
        query = query.where(PrivacyRequest.status == status.value)
    if open_only:
        query = query.where(PrivacyRequest.status.in_(OPEN_STATUSES))
    if due_before is not None:
        query = query.where(PrivacyRequest.due_at < due_before)
    if cursor:
        after_due, after_id = _decode_cursor(cursor)
        query = query.where(tuple_(PrivacyRequest.due_at, PrivacyRequest.id) > tuple_(after_due, after_id))
    found = list(session.scalars(query))
    page = found[:limit]
    more = len(found) > limit
    return Page(requests=page, next_cursor=_encode_cursor(page[-1]) if more else None)


def due_state(request: PrivacyRequest, *, rules: RequestRules, now: datetime) -> DueState:
    """Where an open request stands against its deadline; a closed one is `closed`."""
    if request.status in CLOSED_STATUSES:
        return "closed"
    if request.due_at <= now:
        return "overdue"
    if request.due_at <= now + timedelta(days=rules.due_soon_days):
        return "due_soon"
    return "on_time"


def queue_summary(
    *, session: Session, rules: RequestRules, now: datetime, since: datetime | None = None
) -> QueueSummary:
    """Open requests now (overdue, due soon among them); requests closed since `since` (ever, if None) and the
    median days from receipt to close among them."""
    is_open = PrivacyRequest.status.in_(OPEN_STATUSES)
    soon = now + timedelta(days=rules.due_soon_days)
    open_count, overdue, due_soon = session.execute(
        select(
            func.count(),
            func.count().filter(PrivacyRequest.due_at <= now),
            func.count().filter(PrivacyRequest.due_at > now, PrivacyRequest.due_at <= soon),
        ).where(is_open)
    ).one()
    closed_query = select(PrivacyRequest.received_at, PrivacyRequest.closed_at).where(
        PrivacyRequest.status.in_(CLOSED_STATUSES)
    )
    if since is not None:
        closed_query = closed_query.where(PrivacyRequest.closed_at >= since)
    durations = [
        (closed_at - received_at).total_seconds() / 86400
        for received_at, closed_at in session.execute(closed_query)
        if closed_at is not None
    ]
    return QueueSummary(
        open=open_count,
        overdue=overdue,
        due_soon=due_soon,
        closed=len(durations),
        median_days_to_close=round(statistics.median(durations), 2) if durations else None,
    )


def record_step(
    *, session: Session, request: PrivacyRequest, action: str, actor: str, now: datetime, details: dict[str, Any]
) -> PrivacyRequestStep:
    """Append a step (steps are never changed afterwards)."""
    step = PrivacyRequestStep(request_id=request.id, at=now, actor=actor, action=action, details=details)
    session.add(step)
    request.updated_at = now
    session.flush()
    return step


def add_systems(*, session: Session, request: PrivacyRequest, names: tuple[str, ...]) -> list[PrivacyRequestSystem]:
    """One pending row per system that must report back on the request."""
    rows = [PrivacyRequestSystem(request_id=request.id, name=name, status=SystemStatus.PENDING.value) for name in names]
    session.add_all(rows)
    session.flush()
    return rows


def _encode_cursor(request: PrivacyRequest) -> str:
    raw = f"{request.due_at.isoformat()}|{request.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        due, request_id = raw.split("|", 1)
        moment = datetime.fromisoformat(due)
        if moment.tzinfo is None or not request_id.startswith("pr_"):
            raise ValueError(raw)
        return moment, request_id
    except ValueError:
        raise InvalidCursor("The cursor is not valid.", errors={"cursor": ["Not a cursor from this API."]}) from None
