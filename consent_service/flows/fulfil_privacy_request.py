"""The service's own part of a verified privacy request, run at once: what each type does to what this service
holds (the erasure, the restriction, the refusals in the ledger). Uncommitted: a step of the privacy request
flows (run_privacy_request.py), which commit.

An access request runs nothing now: its export is made when the holder of the status link downloads it, so the
copy is as current as the download. A correction has nothing here to correct (the service holds no contact
data): the operator's systems do it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.flows.erase_subject import erase_and_announce
from consent_service.flows.record_consent import record_consent
from consent_service.generations import service as generations
from consent_service.privacy_requests.models import PrivacyRequest
from consent_service.regimes.service import RegimeRules
from consent_service.rights import restriction
from consent_service.vocabulary import OBJECTION_PURPOSES, ActorType, Decision, Method, ObjectionTarget, RequestType


def fulfil(
    *, session: Session, rules: RegimeRules, request: PrivacyRequest, pepper: str, now: datetime
) -> dict[str, Any]:
    """Do the request's own part; what was done, for the `own_part_done` step (never the identifier)."""
    kind, external_id = request.subject_kind, request.subject_id
    match RequestType(request.type):
        case RequestType.ACCESS:
            return {"export": "offered for download on the status page"}
        case RequestType.CORRECTION:
            return {"correction": "nothing held here to correct; the operator's systems correct it"}
        case RequestType.DELETION:
            receipt = erase_and_announce(session=session, kind=kind, external_id=external_id, pepper=pepper, now=now)
            # `known`: false when nothing was recorded under the identifier (then no subject.erased was sent).
            return {"erased": True, "receipt": receipt["id"]} | {key: receipt[key] for key in ("repeated", "known")}
        case RequestType.RESTRICTION:
            restriction.set_restriction(session=session, kind=kind, external_id=external_id, restricted=True, now=now)
            return {"restricted": True}
        case RequestType.OBJECTION:
            purpose = OBJECTION_PURPOSES[ObjectionTarget(request.details["objection"])]
            return _refuse(session, rules, request, [purpose], Decision.DENIED, now)
        case RequestType.OPT_OUT_OF_SALE:
            policy = rules.policy_for(rules.jurisdiction(request.country, request.region))
            return _refuse(session, rules, request, sorted(policy.gpc_purposes), Decision.DENIED, now)
        case RequestType.WITHDRAWAL:
            state = consents.read_state(session=session, kind=kind, external_id=external_id, rules=rules, now=now)
            catalogue = generations.fresh(session=session).catalogue
            granted = sorted(
                key
                for key, answer in state.consents.items()
                if answer.source == "event" and answer.decision is Decision.GRANTED and catalogue[key].refusable
            )
            return _refuse(session, rules, request, granted, Decision.WITHDRAWN, now)


def _refuse(
    session: Session,
    rules: RegimeRules,
    request: PrivacyRequest,
    purposes: list[str],
    decision: Decision,
    now: datetime,
) -> dict[str, Any]:
    """Record the refusals in the subject's ledger, by this flow's own method; an erased subject is already kept out
    of everything it refused (its suppression entry), so nothing is recorded for it."""
    catalogue = generations.fresh(session=session).catalogue
    purposes = [key for key in purposes if key in catalogue and catalogue[key].refusable]
    if not purposes:
        return {"decision": decision.value, "purposes": []}
    state = consents.read_state(
        session=session, kind=request.subject_kind, external_id=request.subject_id, rules=rules, now=now
    )
    context = consents.EventContext(
        # The notice the person last decided under; a subject without decisions is marked by the request.
        notice_version=state.notice_version or request.id,
        country=request.country,
        region=request.region,
        property_key=request.property_key,
        language=request.language,
        actor_type=ActorType.AGENT if request.agent else ActorType.SUBJECT,
        evidence={"privacy_request": request.id},
        from_flow=True,
    )
    events = [consents.EventInput(purpose=key, decision=decision, method=Method.PRIVACY_REQUEST) for key in purposes]
    try:
        record_consent(
            session=session,
            kind=request.subject_kind,
            external_id=request.subject_id,
            events=events,
            context=context,
            rules=rules,
            now=now,
        )
    except consents.SubjectErased:
        return {"decision": decision.value, "purposes": purposes, "already_erased": True}
    return {"decision": decision.value, "purposes": purposes}
