"""Consent receipts: one event as a signed record (Kantara Consent Receipt v1.1 / ISO/IEC TS 27560 fields).

Signed with the token keys, so anyone verifies it offline with /.well-known/jwks.json; its own
`typ` keeps it from ever passing as a consent token. It also carries the event's chain hash, so
an auditor can tie it to the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_service.consents.models import ConsentEvent
from consent_service.errors import NotFound
from consent_service.notices import service as notices
from consent_service.purposes import service as purposes
from consent_service.signing_keys.keystore import KeyStore
from consent_service.subjects.models import Subject
from consent_service.vocabulary import Decision, Method

RECEIPT_TYPE = "consent-receipt+jwt"
KANTARA_VERSION = "KI-CR-v1.1.0"
# Ways of agreeing that are not an explicit statement of the person.
IMPLICIT_METHODS = frozenset({Method.IMPLIED_BY_CONTINUING.value, Method.DOUBLE_OPT_IN.value})


@dataclass(frozen=True)
class Controller:
    name: str
    contact: str
    issuer: str


def consent_receipt(
    *,
    session: Session,
    keystore: KeyStore,
    controller: Controller,
    kind: str,
    external_id: str,
    event_id: str,
    now: datetime,
) -> str:
    """The compact JWS of one event of this subject."""
    event = session.scalars(
        select(ConsentEvent)
        .join(Subject, Subject.id == ConsentEvent.subject_id)
        .where(Subject.kind == kind, Subject.external_id == external_id, ConsentEvent.id == event_id)
    ).one_or_none()
    if event is None:
        raise NotFound("No such consent event for this subject.")
    purpose = purposes.catalogue(session=session)[event.purpose]
    notice = next(
        (
            n
            for n in notices.list_notices(session=session, property_key=event.property_key)
            if n.version == event.notice_version
        ),
        None,
    )
    claims = {
        "iss": controller.issuer,
        "iat": int(now.timestamp()),
        "jti": f"cr_{event.id}",
        # Kantara Consent Receipt v1.1
        "version": KANTARA_VERSION,
        "jurisdiction": event.region or event.country or event.regime,
        "consentTimestamp": int(event.recorded_at.timestamp()),
        "collectionMethod": event.method,
        "consentReceiptID": f"cr_{event.id}",
        "language": event.language,
        "piiPrincipalId": f"{kind}:{external_id}",
        "piiControllers": [{"piiController": controller.name, "contact": controller.contact, "onBehalf": False}],
        "policyUrl": notice.url if notice is not None else None,
        "services": [
            {
                "service": event.property_key or controller.name,
                "purposes": [
                    {
                        "purpose": purpose.name,
                        "purposeCategory": [purpose.category],
                        "consentType": "IMPLICIT" if event.method in IMPLICIT_METHODS else "EXPLICIT",
                        "piiCategory": [],
                        "primaryPurpose": True,
                        "termination": "Withdrawal at any time, or the end of the retention period.",
                        "thirdPartyDisclosure": event.purpose == "cross_border_transfer",
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        # ISO/IEC TS 27560 record fields the Kantara form does not name
        "purposeId": event.purpose,
        "legalBasis": purpose.legal_basis,
        "noticeVersion": event.notice_version,
        "decision": event.decision,
        "granted": event.decision == Decision.GRANTED,
        "regime": event.regime,
        "actorType": event.actor_type,
        "eventId": event.id,
        "revision": event.revision,
        "eventHash": event.hash,
    }
    if tc_string := (event.evidence or {}).get("tc_string"):
        # The IAB TCF record of the same choice, as the banner's TCF layer encoded it.
        claims["tcString"] = tc_string
    key = keystore.active(session=session, now=now)
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": RECEIPT_TYPE})
