"""Link a visitor to the customer it logged in as: carry its cookie choices over (rights, consents), link (subjects),
commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.flows.record_consent import record_consent
from consent_service.purposes import service as purposes
from consent_service.regimes.service import RegimeRules
from consent_service.rights import linking
from consent_service.subjects import service as subjects
from consent_service.vocabulary import SubjectKind

CUSTOMER = SubjectKind.CUSTOMER.value


def link_visitor(
    *, session: Session, customer_id: str, visitor_id: str, rules: RegimeRules, now: datetime
) -> linking.LinkResult:
    """Record the visitor's carried choices as the customer's `linked` events, link the two, commit."""
    visitor = linking.linkable_visitor(session=session, visitor_id=visitor_id)
    customer = subjects.lock(session=session, kind=CUSTOMER, external_id=customer_id, now=now)
    carried = linking.carried_over(
        catalogue=purposes.catalogue(session=session),
        own=consents.states_of(session=session, subject_id=customer.id),
        theirs=consents.states_of(session=session, subject_id=visitor.id),
    )
    for state in carried:
        event, context = linking.linked_event(state)
        record_consent(
            session=session,
            kind=CUSTOMER,
            external_id=customer_id,
            events=[event],
            context=context,
            rules=rules,
            now=now,
        )
    link = subjects.link(session=session, customer=customer, visitor=visitor, now=now)
    subject_state = consents.read_state(session=session, kind=CUSTOMER, external_id=customer_id, rules=rules, now=now)
    session.commit()
    return linking.LinkResult(
        visitor_id=visitor_id,
        linked_at=link.linked_at,
        carried_over=[state.purpose for state in carried],
        state=subject_state,
    )
