"""The consent ledger: record decisions, read the current state, answer checks, page the history."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.consents.models import ConsentEvent, ConsentState
from consent_service.consents.state import PurposeState, effective
from consent_service.errors import ValidationFailed
from consent_service.purposes import service as purposes
from consent_service.purposes.models import Purpose
from consent_service.regimes.service import RegimeRules
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
from consent_service.vocabulary import ActorType, Decision, Method, Regime

MAX_HISTORY_PAGE = 200


class NotRefusable(ValidationFailed):
    code = "not_refusable"


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"


@dataclass(frozen=True)
class EventInput:
    purpose: str
    decision: Decision
    method: Method


@dataclass(frozen=True)
class EventContext:
    """What one request says about all of its events."""

    notice_version: str
    country: str | None = None
    # The regime the subject was shown (a banner's); otherwise it follows from the country.
    regime: Regime | None = None
    destination_country: str | None = None
    age: int | None = None
    property_key: str | None = None
    language: str | None = None
    banner_version: str | None = None
    actor_type: ActorType = ActorType.SUBJECT
    actor_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectState:
    kind: str
    id: str
    revision: int
    regime: str
    consents: dict[str, PurposeState]

    @property
    def notice_version(self) -> str | None:
        """The notice version of the most recent decision, if any."""
        latest = max(
            (s for s in self.consents.values() if s.source == "event"),
            key=lambda s: s.updated_at,
            default=None,
        )
        return latest.notice_version if latest else None


@dataclass(frozen=True)
class CheckResult:
    allowed: bool
    decisions: dict[str, PurposeState]


def record_events(
    *,
    session: Session,
    kind: str,
    external_id: str,
    events: Sequence[EventInput],
    context: EventContext,
    rules: RegimeRules,
    now: datetime,
) -> SubjectState:
    """Append the events to the subject's ledger and fold them into its state, all or nothing."""
    catalogue = purposes.catalogue(session=session)
    purposes.require_known(catalogue, {f"events.{i}.purpose": e.purpose for i, e in enumerate(events)})
    refused = {
        f"events.{i}.decision": [f"{e.purpose!r} cannot be refused."]
        for i, e in enumerate(events)
        if not catalogue[e.purpose].refusable and e.decision is not Decision.GRANTED
    }
    if refused:
        raise NotRefusable("Some purposes cannot be refused.", errors=refused)

    subject = subjects.lock(session=session, kind=kind, external_id=external_id, now=now)
    regime = context.regime or rules.regime_for(context.country)
    states = _states_of(session, subject.id)
    for event_input in events:
        subject.revision += 1
        event = ConsentEvent(
            id=new_id("evt"),
            subject_id=subject.id,
            revision=subject.revision,
            purpose=event_input.purpose,
            decision=event_input.decision.value,
            method=event_input.method.value,
            notice_version=context.notice_version,
            regime=regime.value,
            country=context.country,
            destination_country=context.destination_country,
            age=context.age,
            property_key=context.property_key,
            language=context.language,
            banner_version=context.banner_version,
            actor_type=context.actor_type.value,
            actor_id=context.actor_id,
            evidence=context.evidence,
            recorded_at=now,
        )
        session.add(event)
        states[event.purpose] = _fold(states.get(event.purpose), event, session)
    subject.updated_at = now
    session.flush()
    return _subject_state(subject.kind, subject.external_id, subject.revision, catalogue, states, regime.value)


def _fold(state: ConsentState | None, event: ConsentEvent, session: Session) -> ConsentState:
    """The state after one more event: the latest decision for a purpose wins."""
    if state is None:
        state = ConsentState(subject_id=event.subject_id, purpose=event.purpose)
        session.add(state)
    state.decision = event.decision
    state.method = event.method
    state.notice_version = event.notice_version
    state.regime = event.regime
    state.event_id = event.id
    state.revision = event.revision
    state.updated_at = event.recorded_at
    return state


def read_state(
    *, session: Session, kind: str, external_id: str, rules: RegimeRules, country: str | None = None
) -> SubjectState:
    """The current state for every purpose; an unknown subject has the defaults and revision 0."""
    catalogue = purposes.catalogue(session=session)
    subject = subjects.find(session=session, kind=kind, external_id=external_id)
    if subject is None:
        return _subject_state(kind, external_id, 0, catalogue, {}, rules.regime_for(country).value)
    states = _states_of(session, subject.id)
    regime = _regime(rules, country, states)
    return _subject_state(kind, external_id, subject.revision, catalogue, states, regime)


@dataclass(frozen=True)
class CheckRequest:
    kind: str
    external_id: str
    purposes: Sequence[str]
    country: str | None = None
    destination_country: str | None = None


def check_many(
    *, session: Session, requests: Sequence[CheckRequest], rules: RegimeRules, field_prefix: str | None = None
) -> list[CheckResult]:
    """Answer "may I process this subject's data for these purposes now?" for each request."""
    catalogue = purposes.catalogue(session=session)
    given = {}
    for index, request in enumerate(requests):
        where = f"{field_prefix}.{index}.purposes" if field_prefix else "purposes"
        given.update({f"{where}.{i}": key for i, key in enumerate(request.purposes)})
    purposes.require_known(catalogue, given)
    return [_check(session, request, rules, catalogue) for request in requests]


def _check(session: Session, request: CheckRequest, rules: RegimeRules, catalogue: dict[str, Purpose]) -> CheckResult:
    # One indexed read of just the purposes asked about.
    rows = session.scalars(
        select(ConsentState)
        .join(Subject, Subject.id == ConsentState.subject_id)
        .where(Subject.kind == request.kind, Subject.external_id == request.external_id)
        .where(ConsentState.purpose.in_(set(request.purposes)))
    )
    states = {state.purpose: state for state in rows}
    regime = _regime(rules, request.country, states)
    decisions = {key: effective(catalogue[key], states.get(key), regime) for key in request.purposes}
    return CheckResult(allowed=all(d.allowed for d in decisions.values()), decisions=decisions)


def list_events(
    *,
    session: Session,
    kind: str,
    external_id: str,
    purpose: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ConsentEvent], str | None]:
    """The ledger of one subject, newest first; the cursor is opaque to callers."""
    before = _decode_cursor(cursor) if cursor else None
    query = (
        select(ConsentEvent)
        .join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(Subject.kind == kind, Subject.external_id == external_id)
        .order_by(ConsentEvent.revision.desc())
        .limit(limit + 1)
    )
    if purpose is not None:
        query = query.where(ConsentEvent.purpose == purpose)
    if before is not None:
        query = query.where(ConsentEvent.revision < before)
    events = list(session.scalars(query))
    has_more = len(events) > limit
    events = events[:limit]
    next_cursor = _encode_cursor(events[-1].revision) if has_more else None
    return events, next_cursor


def _encode_cursor(revision: int) -> str:
    return base64.urlsafe_b64encode(f"r{revision}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError:
        raise InvalidCursor("The cursor is not valid.", errors={"cursor": ["Not a cursor from this API."]}) from None


def _states_of(session: Session, subject_id: int) -> dict[str, ConsentState]:
    rows = session.scalars(select(ConsentState).where(ConsentState.subject_id == subject_id))
    return {state.purpose: state for state in rows}


def _regime(rules: RegimeRules, country: str | None, states: dict[str, ConsentState]) -> str:
    """The country asked about, else the regime of the subject's latest decision, else the default."""
    if country is not None or not states:
        return rules.regime_for(country).value
    return max(states.values(), key=lambda s: s.revision).regime


def _subject_state(
    kind: str,
    external_id: str,
    revision: int,
    catalogue: dict[str, Purpose],
    states: dict[str, ConsentState],
    regime: str,
) -> SubjectState:
    return SubjectState(
        kind=kind,
        id=external_id,
        revision=revision,
        regime=regime,
        consents={key: effective(purpose, states.get(key), regime) for key, purpose in catalogue.items()},
    )
