"""Confirm a double opt-in from the inbox: the pending grant becomes allowed (preferences, consents), commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.flows.record_customer_events import record_customer_events
from consent_service.preferences import service as preferences
from consent_service.regimes.service import RegimeRules


def confirm_double_opt_in(
    *,
    session: Session,
    rules: RegimeRules,
    claims: preferences.ConfirmationClaims,
    evidence: dict[str, str],
    now: datetime,
) -> preferences.ConfirmationStatus:
    """Record the confirmation the link names, once (a repeat changes nothing), and commit."""
    confirmation = preferences.confirmation_events(session=session, claims=claims, evidence=evidence)
    if confirmation is not None:
        record_customer_events(session=session, prepared=confirmation, rules=rules, now=now)
    session.commit()
    return preferences.ConfirmationStatus.CONFIRMED
