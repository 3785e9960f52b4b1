"""Ask for a double opt-in: a pending grant (preferences, consents) and the link that confirms it, commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.flows.record_customer_events import record_customer_events
from consent_service.preferences import service as preferences
from consent_service.preferences.links import LinkSigner
from consent_service.regimes.service import RegimeRules


def request_double_opt_in(
    *,
    session: Session,
    rules: RegimeRules,
    signer: LinkSigner,
    base_url: str,
    customer_id: str,
    purpose: str,
    notice_version: str,
    language: str | None,
    evidence: dict[str, str],
    now: datetime,
    country: str | None = None,
    region: str | None = None,
) -> tuple[consents.SubjectState, preferences.IssuedLink]:
    """Record the pending grant (not yet allowed), sign the link that confirms it from the inbox, commit."""
    pending = preferences.double_opt_in_events(
        session=session,
        rules=rules,
        customer_id=customer_id,
        purpose=purpose,
        notice_version=notice_version,
        language=language,
        evidence=evidence,
        now=now,
        country=country,
        region=region,
    )
    state = record_customer_events(session=session, prepared=pending, rules=rules, now=now)
    link = preferences.confirmation_link(
        session=session, signer=signer, base_url=base_url, customer_id=customer_id, purpose=purpose, language=language
    )
    session.commit()
    return state, link
