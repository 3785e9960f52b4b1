"""Consent tokens: a signed snapshot of a subject's effective decisions."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from blinker import Namespace
from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy.orm import Session

from consent_service.consents import service as consents
from consent_service.generations import service as generations
from consent_service.generations.service import Snapshot
from consent_service.regimes.service import RegimeRules
from consent_service.signing_keys.keystore import KeyStore
from consent_service.stores.hot import execute_hot
from consent_service.tokens.models import IssuedToken as IssuedTokenRecord

TOKEN_TYPE = "JWT"
# Clocks of several instances drift a little: the same bounds as consent_verifier's defaults.
EXP_LEEWAY_SECONDS = 60
IAT_SKEW_SECONDS = 5
# Who a token is issued for, as listed in a subject's export.
ISSUED_FOR_SERVICE = "service"
ISSUED_FOR_BANNER = "banner"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    claims: dict[str, Any]
    # The issued_tokens row of a known subject's token: written by issue_token unless the caller
    # writes it with its own statement (record=False).
    record: dict[str, Any] | None = None


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
    region: str | None = None,
    property_key: str | None = None,
    gpc: bool | None = None,
    state: consents.SubjectState | None = None,
    issued_for: str = ISSUED_FOR_SERVICE,
    snapshot: Snapshot | None = None,
    record: bool = True,
    pepper: str | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> IssuedToken:
    """Sign the subject's current state (read now, unless the caller just produced it).

    The jti is recorded for a known subject, so its export lists what was issued about it; with
    `record` false the caller writes the token's `record` row itself (banner choices: with the events).
    With the erasure pepper, the suppression entry of an erased identifier seen again counts, as in checks.
    `extra_claims`: claims beside the state's (a banner's framework strings), never replacing one of them."""
    if state is None:
        state = consents.read_state(
            session=session,
            kind=kind,
            external_id=external_id,
            rules=rules,
            now=now,
            country=country,
            region=region,
            snapshot=snapshot,
            pepper=pepper,
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
    if extra_claims:
        if clash := claims.keys() & extra_claims.keys():
            raise ValueError(f"extra claims would replace {sorted(clash)}")
        claims.update(extra_claims)
    key = keystore.active(session=session, now=now)
    token = jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid, "typ": TOKEN_TYPE})
    expires = datetime.fromtimestamp(expires_at, now.tzinfo)
    row = (
        None
        if state.subject_key is None
        else {
            "jti": claims["jti"],
            "subject_id": state.subject_key,
            "issued_for": issued_for,
            "property_key": property_key,
            "issued_at": datetime.fromtimestamp(issued_at, now.tzinfo),
            "expires_at": expires,
        }
    )
    if row is not None and record:
        execute_hot(session.connection(), _record_statement(), row)
    return IssuedToken(token=token, expires_at=expires, claims=claims, record=row)


ISSUED_TOKENS = IssuedTokenRecord.__table__


@functools.cache
def _record_statement() -> Insert:
    """The issued jti's row, every column bound (stores.hot.execute_hot)."""
    table = IssuedTokenRecord.__table__
    return insert(table).values({column.name: bindparam(column.name) for column in table.c})


def clamp_ttl(requested: int | None, *, default: int, maximum: int) -> int:
    return min(requested or default, maximum)


class TokenRejected(Exception):
    """A token this service did not issue, or no longer honours."""


# Sent with the reason on every refused token, so operations can count them without this module knowing how.
token_rejected = Namespace().signal("token-rejected")


def verify_token(
    *, session: Session, keystore: KeyStore, issuer: str, token: str, now: datetime, snapshot: Snapshot | None = None
) -> dict[str, Any]:
    """Claims of a token signed by one of our published keys; TokenRejected otherwise.

    With a snapshot the key comes from it, without a read: the caller confirms the snapshot before
    it acts on the claims, and a key the snapshot does not know is refused only once the snapshot is
    confirmed current (StaleSnapshot otherwise)."""
    try:
        return _verified_claims(
            session=session, keystore=keystore, issuer=issuer, token=token, now=now, snapshot=snapshot
        )
    except TokenRejected as rejected:
        token_rejected.send(reason=str(rejected))
        raise


def _verified_claims(
    *, session: Session, keystore: KeyStore, issuer: str, token: str, now: datetime, snapshot: Snapshot | None
) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed") from None
    if header.get("typ", TOKEN_TYPE) != TOKEN_TYPE:
        raise TokenRejected("not a consent token")  # e.g. a consent receipt, signed with the same keys
    kid = header.get("kid")
    published = snapshot.signing_keys if snapshot is not None else None
    public_key = (
        keystore.public_key(session=session, kid=kid, now=now, published=published) if isinstance(kid, str) else None
    )
    if public_key is None:
        if snapshot is not None and isinstance(kid, str):
            snapshot.confirm(generations.current_generation(session=session))
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
    if not isinstance(claims["exp"], int) or now.timestamp() >= claims["exp"] + EXP_LEEWAY_SECONDS:
        raise TokenRejected("expired")
    if not isinstance(claims["iat"], int) or claims["iat"] > now.timestamp() + IAT_SKEW_SECONDS:
        raise TokenRejected("issued in the future")
    return claims


def issued_to(*, session: Session, subject_id: int) -> list[IssuedTokenRecord]:
    """The tokens signed for a subject, oldest first (by jti; the tokens themselves are not kept)."""
    return list(
        session.scalars(
            select(IssuedTokenRecord)
            .where(IssuedTokenRecord.subject_id == subject_id)
            .order_by(IssuedTokenRecord.issued_at, IssuedTokenRecord.jti)
        )
    )
