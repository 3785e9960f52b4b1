"""One-click unsubscribe (RFC 8058): the link's purposes denied at once (preferences, consents), commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.flows.record_customer_events import record_customer_events
from consent_service.preferences import service as preferences
from consent_service.regimes.service import RegimeRules


def unsubscribe_one_click(
    *,
    session: Session,
    rules: RegimeRules,
    claims: preferences.LinkClaims,
    language: str,
    evidence: dict[str, str],
    now: datetime,
) -> None:
    """Deny what the link names and is not denied by one-click yet (a repeat records nothing), and commit."""
    denials = preferences.unsubscribe_events(
        session=session, rules=rules, claims=claims, language=language, evidence=evidence, now=now
    )
    if denials is not None:
        record_customer_events(session=session, prepared=denials, rules=rules, now=now)
    session.commit()
