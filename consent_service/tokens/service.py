"""Consent tokens: a signed snapshot of a subject's effective decisions."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import jwt
from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.regimes.service import RegimeRules
from consent_service.tokens.keystore import KeyStore

TOKEN_TYPE = "JWT"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    claims: dict


def issue_token(
    *,
    session: Session,
    keystore: KeyStore,
    rules: RegimeRules,
    issuer: str,
    kind: str,
    external_id: str,
    ttl_seconds: int,
    now: datetime,
    country: str | None = None,
    property_key: str | None = None,
    gpc: bool | None = None,
) -> IssuedToken:
    state = consents.read_state(session=session, kind=kind, external_id=external_id, rules=rules, country=country)
    issued_at = int(now.timestamp())
    expires_at = issued_at + ttl_seconds
    claims = {
        "iss": issuer,
        "sub": f"{kind}:{external_id}",
        "iat": issued_at,
        "exp": expires_at,
        "jti": secrets.token_urlsafe(16),
        "purposes": {key: purpose.allowed for key, purpose in state.consents.items()},
        "notice": state.notice_version,
        "regime": state.regime,
        "rev": state.revision,
    }
    if property_key is not None:
        claims["prp"] = property_key
    if gpc is not None:
        claims["gpc"] = gpc
    key = keystore.active(session=session, now=now)
    token = jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": TOKEN_TYPE})
    return IssuedToken(token=token, expires_at=datetime.fromtimestamp(expires_at, now.tzinfo), claims=claims)


def clamp_ttl(requested: int | None, *, default: int, maximum: int) -> int:
    return min(requested or default, maximum)

