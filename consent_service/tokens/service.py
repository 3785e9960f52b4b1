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
    state: consents.SubjectState | None = None,
) -> IssuedToken:
    """Sign the subject's current state (read now, unless the caller just produced it)."""
    if state is None:
        state = consents.read_state(
            session=session, kind=kind, external_id=external_id, rules=rules, now=now, country=country
        )
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



class TokenRejected(Exception):
    """A token this service did not issue, or no longer honours."""


def verify_token(*, session: Session, keystore: KeyStore, issuer: str, token: str, now: datetime) -> dict:
    """Claims of a token signed by one of our published keys; TokenRejected otherwise."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed") from None
    public_key = keystore.public_key(session=session, kid=kid, now=now) if isinstance(kid, str) else None
    if public_key is None:
        raise TokenRejected("unknown key")
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            issuer=issuer,
            # Expiry is checked below against the service's clock, not the library's.
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenRejected(type(exc).__name__) from None
    if not isinstance(claims["exp"], int) or claims["exp"] <= now.timestamp():
        raise TokenRejected("expired")
    return claims
