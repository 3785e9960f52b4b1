"""Record the events a domain prepared for a customer (preferences.CustomerEvents) through the consent write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.flows.record_consent import record_consent
from consent_service.preferences.service import CustomerEvents
from consent_service.regimes.service import RegimeRules
from consent_service.vocabulary import SubjectKind


def record_customer_events(
    *, session: Session, prepared: CustomerEvents, rules: RegimeRules, now: datetime
) -> consents.SubjectState:
    """The customer's new state; the caller commits."""
    return record_consent(
        session=session,
        kind=SubjectKind.CUSTOMER.value,
        external_id=prepared.customer_id,
        events=prepared.events,
        context=prepared.context,
        rules=rules,
        now=now,
    )
