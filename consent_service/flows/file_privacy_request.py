"""File a privacy request: check it, record its receipt and deadline, then run it at once when no proof of
identity is needed (or the operator has it), else send the verification link; commit.

Nothing here looks the identifier up: whether the service knows it shows only after verification, to the
holder of the signed link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from consent_service.clock import new_id
from consent_service.config import Settings
from consent_service.errors import ValidationFailed
from consent_service.flows.run_privacy_request import run_verified, send_verification
from consent_service.mail.transport import ADDRESS
from consent_service.preferences.links import LinkSigner
from consent_service.privacy_requests import deadlines
from consent_service.privacy_requests import service as privacy_requests
from consent_service.privacy_requests.models import (
    MAX_AGENT_NAME,
    MAX_CONTACT,
    MAX_CORRECTION,
    MAX_IDENTIFIER,
    PrivacyRequest,
)
from consent_service.properties import service as properties
from consent_service.regimes.service import RegimeRules
from consent_service.regimes.subdivisions import subdivision_codes
from consent_service.vocabulary import (
    COUNTRY_PATTERN,
    ObjectionTarget,
    RequestStatus,
    RequestType,
    SubjectKind,
    Verification,
)

CHANNELS = ("web", "api")
COUNTRY = re.compile(COUNTRY_PATTERN)
LANGUAGE = re.compile(r"[a-z]{2}(-[A-Za-z0-9]{1,5})?")


def file_privacy_request(
    *,
    session: Session,
    rules: RegimeRules,
    settings: Settings,
    signer: LinkSigner,
    base_url: str,
    property_key: str | None,
    type: RequestType | str,
    subject_kind: SubjectKind | str,
    subject_id: str,
    contact: str | None,
    country: str | None,
    region: str | None,
    language: str,
    channel: str,
    details: Mapping[str, Any] | None,
    agent: Mapping[str, Any] | None,
    verified: bool,
    actor: str,
    evidence: Mapping[str, str] | None,
    now: datetime,
) -> PrivacyRequest:
    """The filed request, committed: unverified with its link sent, or already run (in progress or completed)."""
    kind = _request_type(type)
    needs_proof = deadlines.needs_verification(rules.privacy_requests, kind) and not verified
    mode = Verification(settings.privacy_request_verification)
    errors = _problems(
        session=session,
        property_key=property_key,
        subject_kind=subject_kind,
        subject_id=subject_id,
        contact=contact,
        country=country,
        region=region,
        language=language,
        channel=channel,
        details=details or {},
        agent=agent,
        kind=kind,
        contact_required=needs_proof and mode is Verification.EMAIL,
    )
    if errors:
        raise ValidationFailed("The privacy request is not valid.", errors=errors)
    if region is not None and country is None:
        country = region[:2]
    law = deadlines.law_for(rules.privacy_requests, country=country, region=region)
    if not deadlines.needs_verification(rules.privacy_requests, kind):
        verification = Verification.NOT_REQUIRED
    elif verified:
        verification = Verification.OPERATOR
    else:
        verification = mode
    request = PrivacyRequest(
        id=new_id("pr"),
        property_key=property_key,
        type=kind.value,
        status=RequestStatus.UNVERIFIED.value,
        verification=verification.value,
        subject_kind=SubjectKind(subject_kind).value,
        subject_id=subject_id,
        contact=contact or None,
        language=language,
        country=country,
        region=region,
        law=law.key,
        channel=channel,
        details=_kept_details(kind, details or {}),
        agent=dict(agent) if agent else None,
        received_at=now,
        verified_at=None,
        due_at=deadlines.due_at(rules.privacy_requests, law, type=kind, received_at=now),
        extended=False,
        closed_at=None,
        outcome=None,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    privacy_requests.record_step(
        session=session,
        request=request,
        action="received",
        actor=actor,
        now=now,
        details={"channel": channel, "law": law.key, "due_at": request.due_at.isoformat(), **(evidence or {})},
    )
    if needs_proof:
        send_verification(
            session=session, settings=settings, signer=signer, base_url=base_url, request=request, now=now
        )
    else:
        request.verified_at = now
        privacy_requests.record_step(
            session=session,
            request=request,
            action="verified" if verified and verification is Verification.OPERATOR else "verification_not_required",
            actor=actor,
            now=now,
            details={"by": verification.value},
        )
        run_verified(
            session=session,
            rules=rules,
            settings=settings,
            signer=signer,
            base_url=base_url,
            request=request,
            pepper=settings.erasure_pepper,
            now=now,
        )
    session.commit()
    return request


def _request_type(value: RequestType | str) -> RequestType:
    try:
        return RequestType(value)
    except ValueError:
        raise ValidationFailed(
            "The privacy request is not valid.", errors={"type": [f"One of {', '.join(RequestType)}."]}
        ) from None


def _problems(
    *,
    session: Session,
    property_key: str | None,
    subject_kind: str,
    subject_id: str,
    contact: str | None,
    country: str | None,
    region: str | None,
    language: str,
    channel: str,
    details: Mapping[str, Any],
    agent: Mapping[str, Any] | None,
    kind: RequestType,
    contact_required: bool,
) -> dict[str, list[str]]:
    """What is wrong with the request, by field; empty when nothing is."""
    errors: dict[str, list[str]] = {}
    if property_key is not None and not _property_exists(session, property_key):
        errors["property"] = ["No such property."]
    if subject_kind not in {kind.value for kind in SubjectKind}:
        errors["subject.kind"] = [f"One of {', '.join(SubjectKind)}."]
    if not subject_id.strip() or len(subject_id) > MAX_IDENTIFIER:
        errors["subject.id"] = [f"The identifier the operator knows the person by (1 to {MAX_IDENTIFIER} characters)."]
    if contact and (len(contact) > MAX_CONTACT or not ADDRESS.fullmatch(contact)):
        errors["contact"] = ["One email address, such as name@example.com."]
    elif contact_required and not contact:
        errors["contact"] = ["The email address the verification link is sent to."]
    if country is not None and not COUNTRY.fullmatch(country):
        errors["country"] = ["An ISO 3166-1 alpha-2 code, such as DE."]
    if region is not None and (region not in subdivision_codes() or (country and region[:2] != country)):
        errors["region"] = ["An ISO 3166-2 code of the country, such as US-CA."]
    if not LANGUAGE.fullmatch(language):
        errors["language"] = ["A language tag, such as en."]
    if channel not in CHANNELS:
        errors["channel"] = [f"One of {', '.join(CHANNELS)}."]
    errors |= _detail_problems(kind, details)
    if agent is not None:
        errors |= _agent_problems(agent)
    return errors


def _property_exists(session: Session, property_key: str) -> bool:
    try:
        properties.get_by_key(session=session, publishable_key=property_key)
    except properties.UnknownProperty:
        return False
    return True


def _detail_problems(kind: RequestType, details: Mapping[str, Any]) -> dict[str, list[str]]:
    allowed = {RequestType.OBJECTION: {"objection"}, RequestType.CORRECTION: {"correction"}}.get(kind, set())
    errors = {f"details.{key}": [f"Not asked of a {kind.value} request."] for key in details if key not in allowed}
    if kind is RequestType.OBJECTION and details.get("objection") not in {target.value for target in ObjectionTarget}:
        errors["details.objection"] = [f"What is objected to: one of {', '.join(ObjectionTarget)}."]
    correction = details.get("correction")
    if kind is RequestType.CORRECTION and (
        not isinstance(correction, str) or not correction.strip() or len(correction) > MAX_CORRECTION
    ):
        errors["details.correction"] = [f"What to correct (1 to {MAX_CORRECTION} characters)."]
    return errors


def _agent_problems(agent: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name, email = agent.get("name"), agent.get("email")
    if set(agent) - {"name", "email", "declaration"}:
        errors["agent"] = ["Only name, email and declaration."]
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_AGENT_NAME:
        errors["agent.name"] = [f"The agent's name (1 to {MAX_AGENT_NAME} characters)."]
    if not isinstance(email, str) or len(email) > MAX_CONTACT or not ADDRESS.fullmatch(email):
        errors["agent.email"] = ["The agent's email address."]
    if agent.get("declaration") is not True:
        errors["agent.declaration"] = ["The agent declares they are authorized to act for the person."]
    return errors


def _kept_details(kind: RequestType, details: Mapping[str, Any]) -> dict[str, Any]:
    if kind is RequestType.OBJECTION:
        return {"objection": details["objection"]}
    if kind is RequestType.CORRECTION:
        return {"correction": details["correction"].strip()}
    return {}
