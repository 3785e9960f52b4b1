"""Save the preference page: the toggles the customer changed become events (preferences, consents), commit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.flows.record_customer_events import record_customer_events
from consent_service.preferences import service as preferences
from consent_service.regimes.service import RegimeRules


def save_preferences(
    *,
    session: Session,
    rules: RegimeRules,
    claims: preferences.LinkClaims,
    shown: Collection[str],
    wanted: Collection[str],
    language: str,
    evidence: dict[str, str],
    now: datetime,
    shown_revision: int | None,
) -> preferences.PreferencePage:
    """Record what changed (PageOutOfDate from a form older than the customer's revision), commit, and
    return the page as it now stands."""
    changes = preferences.choice_events(
        session=session,
        rules=rules,
        claims=claims,
        shown=shown,
        wanted=wanted,
        language=language,
        evidence=evidence,
        now=now,
        shown_revision=shown_revision,
    )
    if changes is not None:
        record_customer_events(session=session, prepared=changes, rules=rules, now=now)
    page = preferences.page_for(session=session, rules=rules, customer_id=claims.customer_id, now=now)
    session.commit()
    return page
