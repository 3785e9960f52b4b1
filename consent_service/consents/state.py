"""The effective decision for one purpose: recorded decision, or the regime's default."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consent_service.consents.models import ConsentState
from consent_service.purposes.models import Purpose
from consent_service.purposes.service import default_decision
from consent_service.vocabulary import Decision, Method, Reason


@dataclass(frozen=True)
class PurposeState:
    purpose: str
    decision: Decision
    allowed: bool
    reason: Reason
    source: str  # "event" or "default"
    method: str | None = None
    notice_version: str | None = None
    updated_at: datetime | None = None
    reconsent_required: bool = False


def effective(purpose: Purpose, state: ConsentState | None, regime: str) -> PurposeState:
    """One rule for every reader: checks, the state endpoint and tokens all answer from here."""
    recorded = {} if state is None else {
        "source": "event",
        "method": state.method,
        "notice_version": state.notice_version,
        "updated_at": state.updated_at,
    }
    if not purpose.refusable:
        return PurposeState(
            purpose=purpose.key,
            decision=Decision.GRANTED,
            allowed=True,
            reason=Reason.NOT_REFUSABLE,
            **({"source": "default"} | recorded),
        )
    if state is None:
        decision = default_decision(purpose, regime)
        granted = decision is Decision.GRANTED
        return PurposeState(
            purpose=purpose.key,
            decision=decision,
            allowed=granted,
            reason=Reason.DEFAULT_OPT_OUT if granted else Reason.OPT_IN_REQUIRED,
            source="default",
        )
    decision = Decision(state.decision)
    if decision is Decision.GRANTED and state.method == Method.DOUBLE_OPT_IN:
        # Asked for, not yet confirmed from the inbox: nothing may be sent yet.
        return PurposeState(purpose=purpose.key, decision=decision, allowed=False, reason=Reason.PENDING, **recorded)
    return PurposeState(
        purpose=purpose.key,
        decision=decision,
        allowed=decision is Decision.GRANTED,
        reason=Reason(decision.value),
        **recorded,
    )
