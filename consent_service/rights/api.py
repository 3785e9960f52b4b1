"""HTTP endpoints of data subject rights: export, erasure, restriction, linking, consent receipts."""

from __future__ import annotations

from typing import Any

from consent_service.apikeys.auth import require_scope
from consent_service.clock import now
from consent_service.extensions import db

# As a module: the erasure endpoint below is itself named erase_subject.
from consent_service.flows import erase_subject as erasing
from consent_service.flows.link_visitor import link_visitor
from consent_service.openapi import READ_PLACE_HEADER, READ_PLACE_HEADERS
from consent_service.rights import receipts, restriction
from consent_service.rights.export import export
from consent_service.rights.linking import LinkResult
from consent_service.rights.schemas import (
    ConsentReceiptSchema,
    ErasureReceiptSchema,
    ExportSchema,
    LinkOutSchema,
    LinkSchema,
    RestrictionOutSchema,
    RestrictionSchema,
)
from consent_service.runtime import runtime
from consent_service.strict_json import Blueprint
from consent_service.subjects.schemas import SUBJECT_PATH
from consent_service.vocabulary import Scope

blp = Blueprint("rights", __name__, url_prefix="/v1", description="Data subject rights and consent receipts.")


@blp.route(f"{SUBJECT_PATH}/export", methods=["GET"])
@require_scope(blp, Scope.SUBJECTS_EXPORT)
@blp.response(200, ExportSchema, headers=READ_PLACE_HEADERS)
def export_subject(kind: str, subject_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Everything held about the subject, machine-readable (schemas/subject-export.schema.json)."""
    moment, settings = now(), runtime().settings
    exported, place = runtime().reads.run(
        db.session(),
        lambda session: export(
            session=session,
            kind=kind,
            external_id=subject_id,
            rules=runtime().rules,
            pepper=settings.erasure_pepper,
            now=moment,
        ),
    )
    return exported, {READ_PLACE_HEADER: place.value}


@blp.route(SUBJECT_PATH, methods=["DELETE"])
@require_scope(blp, Scope.SUBJECTS_ERASE)
@blp.response(200, ErasureReceiptSchema)
def erase_subject(kind: str, subject_id: str) -> dict[str, Any]:
    """Erase the subject: identifiers become pseudonyms, the proof stays. Erasing twice is harmless."""
    return erasing.erase_subject(
        session=db.session(), kind=kind, external_id=subject_id, pepper=runtime().settings.erasure_pepper, now=now()
    )


@blp.route(f"{SUBJECT_PATH}/restriction", methods=["POST"])
@require_scope(blp, Scope.CONSENTS_WRITE)
@blp.arguments(RestrictionSchema)
@blp.response(200, RestrictionOutSchema)
def restrict(body: dict[str, Any], kind: str, subject_id: str) -> dict[str, object]:
    """Restrict processing (or lift it): checks answer `restricted` for all but necessary and service notices."""
    subject = restriction.set_restriction(
        session=db.session(), kind=kind, external_id=subject_id, restricted=body["restricted"], now=now()
    )
    db.session.commit()
    return {
        "subject": {"kind": kind, "id": subject_id},
        "restricted": subject.restricted,
        "since": subject.restricted_at,
    }


@blp.route("/subjects/customer/<subject_id:subject_id>/links", methods=["POST"])
@require_scope(blp, Scope.CONSENTS_WRITE)
@blp.arguments(LinkSchema)
@blp.response(201, LinkOutSchema)
def link(body: dict[str, Any], subject_id: str) -> LinkResult:
    """Link a visitor to the customer it logged in as; its cookie choices carry over where the customer has no newer
    one."""
    return link_visitor(
        session=db.session(), customer_id=subject_id, visitor_id=body["visitor_id"], rules=runtime().rules, now=now()
    )


@blp.route(f"{SUBJECT_PATH}/consent-events/<string(maxlength=40):event_id>/receipt", methods=["GET"])
@require_scope(blp, Scope.CONSENTS_READ)
@blp.response(200, ConsentReceiptSchema)
def receipt(kind: str, subject_id: str, event_id: str) -> dict[str, str]:
    """A signed consent receipt (JWS, typ consent-receipt+jwt) for one event, verifiable with the JWKS."""
    settings = runtime().settings
    signed = receipts.consent_receipt(
        session=db.session(),
        keystore=runtime().keystore,
        controller=receipts.Controller(
            name=settings.controller_name, contact=settings.controller_contact, issuer=settings.token_issuer
        ),
        kind=kind,
        external_id=subject_id,
        event_id=event_id,
        now=now(),
    )
    db.session.commit()  # the first signature ever creates the first signing key
    return {"receipt": signed}
