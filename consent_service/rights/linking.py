"""Linking a visitor to the customer it logged in as, carrying over its cookie choices.

A visitor's choice on a cookie category carries over only where the customer has no newer
decision of their own; marketing, recording, transfer and automated-decision consents (every
purpose outside the cookie categories) never carry over from an anonymous visitor. Carried
choices are recorded as `linked` events that reference the visitor's event, so the customer's
ledger explains its state. flows.link_visitor sequences the link, the writes and the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.consents.models import ConsentState
from consent_service.errors import NotFound
from consent_service.purposes.models import Purpose
from consent_service.subjects import service as subjects
from consent_service.subjects.models import Subject
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


def linkable_visitor(*, session: Session, visitor_id: str) -> Subject:
    """The visitor to link: one this service issued and has not erased."""
    visitor = subjects.find(session=session, kind=SubjectKind.VISITOR.value, external_id=visitor_id)
    if visitor is None or visitor.erased_at is not None:
        raise NotFound("No such visitor.", errors={"visitor_id": ["Not a visitor this service issued."]})
    return visitor


def carried_over(
    *, catalogue: Mapping[str, Purpose], own: Mapping[str, ConsentState], theirs: Mapping[str, ConsentState]
) -> list[ConsentState]:
    """The visitor's states that carry over to the customer, by purpose key."""
    carried = []
    for key, state in sorted(theirs.items()):
        purpose = catalogue[key]
        if key in NEVER_CARRIED or purpose.category != CARRIED_CATEGORY or not purpose.refusable:
            continue
        if key in own and own[key].updated_at >= state.updated_at:
            continue  # the customer decided since (or at the same time): their own word stands
        carried.append(state)
    return carried


def linked_event(state: ConsentState) -> tuple[consents.EventInput, consents.EventContext]:
    """The customer's `linked` event for a visitor's carried state, naming the visitor's event."""
    event = consents.EventInput(purpose=state.purpose, decision=Decision(state.decision), method=Method.LINKED)
    context = consents.EventContext(
        notice_version=state.notice_version,
        regime=Regime(state.regime),
        property_key=state.property_key,
        actor_type=ActorType.SYSTEM,
        # The visitor's event, by its random id: the proof without the visitor's identifier.
        evidence={"reference": f"linked:{state.event_id}"},
        from_flow=True,
    )
    return event, context
