"""A privacy request's receipt: what was asked, under which law, what was done and when, as a JWS signed with the
token keys (verify offline with /.well-known/jwks.json); its own `typ` keeps it from passing as any other token.
Its claims are schemas/privacy-request-receipt.schema.json. A deletion names its subject by pseudonym from the
moment it has run (flows/run_privacy_request.py), so its receipts do too."""

from __future__ import annotations

from datetime import datetime

import jwt
from sqlalchemy.orm import Session

from consent_service.privacy_requests import service as privacy_requests
from consent_service.rights.receipts import Controller
from consent_service.signing_keys.keystore import KeyStore

RECEIPT_TYPE = "privacy-request-receipt+jwt"


def receipt(*, session: Session, keystore: KeyStore, controller: Controller, request_id: str, now: datetime) -> str:
    """The compact JWS of the request as it stands now."""
    request = privacy_requests.get(session=session, request_id=request_id)
    claims = {
        "iss": controller.issuer,
        "iat": int(now.timestamp()),
        "jti": f"prr_{request.id}",
        "controller": {"name": controller.name, "contact": controller.contact},
        "request": request.id,
        "type": request.type,
        "law": request.law,
        "status": request.status,
        "received_at": _seconds(request.received_at),
        "verified_at": _seconds(request.verified_at),
        "due_at": _seconds(request.due_at),
        "extended": request.extended,
        "closed_at": _seconds(request.closed_at),
        "outcome": request.outcome,
        "subject": {"kind": request.subject_kind, "id": request.subject_id},
        "actions": [
            {"action": step.action, "at": _seconds(step.at), "actor": step.actor}
            for step in privacy_requests.steps_of(session=session, request_id=request.id)
        ],
        "systems": {
            system.name: system.status for system in privacy_requests.systems_of(session=session, request_id=request.id)
        },
    }
    key = keystore.active(session=session, now=now)
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": RECEIPT_TYPE})


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())
