"""The privacy request report: the queue now (open, overdue, due soon) and the requests closed in a period
(how many, the median days from receipt to close), in total and per request type.

Which open request is overdue or due soon is privacy_requests.service.due_state's rule, asked per request,
so the report, the console and /metrics cannot disagree.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.regimes.service import RegimeRules
from consent_service.vocabulary import RequestType

SECONDS_PER_DAY = 86400
OPEN_PAGE_SIZE = 500
MEDIAN_DECIMALS = 2  # as privacy_requests.service.queue_summary rounds it


@dataclass(frozen=True)
class RequestCounts:
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    closed: int = 0  # closed (completed or refused) in the period
    median_days_to_close: float | None = None  # of those closed in the period


@dataclass(frozen=True)
class PrivacyRequestReport:
    start: date
    end: date
    totals: RequestCounts
    by_type: dict[str, RequestCounts]

    # The JSON answer puts the totals at the top level, beside by_type.
    @property
    def open(self) -> int:
        return self.totals.open

    @property
    def overdue(self) -> int:
        return self.totals.overdue

    @property
    def due_soon(self) -> int:
        return self.totals.due_soon

    @property
    def closed(self) -> int:
        return self.totals.closed

    @property
    def median_days_to_close(self) -> float | None:
        return self.totals.median_days_to_close


def days_to_close(received_at: datetime, closed_at: datetime) -> float:
    return (closed_at - received_at).total_seconds() / SECONDS_PER_DAY


def privacy_request_report(
    *, session: Session, rules: RegimeRules, start: date, end: date, now: datetime
) -> PrivacyRequestReport:
    """Open, overdue and due soon as of `now`; closed and the median days to close for the requests closed on
    the UTC days from `start` to `end`, both included."""
    states: dict[str, list[str]] = {kind.value: [] for kind in RequestType}
    for item in _open_requests(session):
        states.setdefault(item.type, []).append(privacy_requests.due_state(item, rules=rules.privacy_requests, now=now))
    begin = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    durations: dict[str, list[float]] = {kind.value: [] for kind in RequestType}
    closed = session.execute(
        select(PrivacyRequest.type, PrivacyRequest.received_at, PrivacyRequest.closed_at).where(
            PrivacyRequest.closed_at >= begin, PrivacyRequest.closed_at < until
        )
    )
    for kind, received_at, closed_at in closed:
        if closed_at is not None:  # never None here (the filter); this is for the type checker
            durations.setdefault(kind, []).append(days_to_close(received_at, closed_at))
    by_type = {kind: _counts(states.get(kind, []), durations.get(kind, [])) for kind in sorted({*states, *durations})}
    every_state = [state for kind_states in states.values() for state in kind_states]
    every_duration = [days for kind_durations in durations.values() for days in kind_durations]
    return PrivacyRequestReport(start=start, end=end, totals=_counts(every_state, every_duration), by_type=by_type)


def _open_requests(session: Session) -> Iterator[PrivacyRequest]:
    """Every open request, a page of the service's queue at a time."""
    cursor = None
    while True:
        page = privacy_requests.list_requests(
            session=session, status=None, due_before=None, open_only=True, limit=OPEN_PAGE_SIZE, cursor=cursor
        )
        yield from page.requests
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _counts(states: list[str], durations: list[float]) -> RequestCounts:
    return RequestCounts(
        open=len(states),
        overdue=states.count("overdue"),
        due_soon=states.count("due_soon"),
        closed=len(durations),
        median_days_to_close=round(statistics.median(durations), MEDIAN_DECIMALS) if durations else None,
    )
