"""Linking a visitor to the customer it logged in as, carrying over its cookie choices.

A visitor's choice on a cookie category carries over only where the customer has no newer
decision of their own; marketing, recording, transfer and automated-decision consents (every
purpose outside the cookie categories) never carry over from an anonymous visitor. Carried
choices are recorded as `linked` events that reference the visitor's event, so the customer's
ledger explains its state.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.errors import NotFound
from consent_service.flows.record_consent import record_consent
from consent_service.purposes import service as purposes
from consent_service.regimes.service import RegimeRules
from consent_service.subjects import service as subjects
from consent_service.vocabulary import ActorType, Decision, Method, Regime, SubjectKind

CARRIED_CATEGORY = "cookie"
# Named as well as excluded by category, so an operator recategorizing them cannot carry them over.
NEVER_CARRIED = frozenset({"marketing", "recording", "cross_border_transfer", "automated_decisions"})


@dataclass(frozen=True)
class LinkResult:
    visitor_id: str
    linked_at: datetime
    carried_over: list[str]
    state: consents.SubjectState


def link_visitor(
    *, session: Session, customer_id: str, visitor_id: str, rules: RegimeRules, now: datetime
) -> LinkResult:
    visitor = subjects.find(session=session, kind=SubjectKind.VISITOR.value, external_id=visitor_id)
    if visitor is None or visitor.erased_at is not None:
        raise NotFound("No such visitor.", errors={"visitor_id": ["Not a visitor this service issued."]})
    customer = subjects.lock(session=session, kind=SubjectKind.CUSTOMER.value, external_id=customer_id, now=now)
    catalogue = purposes.catalogue(session=session)
    own = consents.states_of(session=session, subject_id=customer.id)
    carried: list[str] = []
    for key, theirs in sorted(consents.states_of(session=session, subject_id=visitor.id).items()):
        purpose = catalogue[key]
        if key in NEVER_CARRIED or purpose.category != CARRIED_CATEGORY or not purpose.refusable:
            continue
        if key in own and own[key].updated_at >= theirs.updated_at:
            continue  # the customer decided since (or at the same time): their own word stands
        record_consent(
            session=session,
            kind=SubjectKind.CUSTOMER.value,
            external_id=customer_id,
            events=[consents.EventInput(purpose=key, decision=Decision(theirs.decision), method=Method.LINKED)],
            context=consents.EventContext(
                notice_version=theirs.notice_version,
                regime=Regime(theirs.regime),
                property_key=theirs.property_key,
                actor_type=ActorType.SYSTEM,
                # The visitor's event, by its random id: the proof without the visitor's identifier.
                evidence={"reference": f"linked:{theirs.event_id}"},
                from_flow=True,
            ),
            rules=rules,
            now=now,
        )
        carried.append(key)
    link = subjects.link(session=session, customer=customer, visitor=visitor, now=now)
    state = consents.read_state(
        session=session, kind=SubjectKind.CUSTOMER.value, external_id=customer_id, rules=rules, now=now
    )
    return LinkResult(visitor_id=visitor_id, linked_at=link.linked_at, carried_over=carried, state=state)
