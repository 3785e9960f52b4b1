"""What the banner verifies its stored token with: the keys sent with its configuration, and the
service's own check for browsers without Ed25519 in WebCrypto."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from consent_service.generations.service import Snapshot
from consent_service.properties.service import PropertyEntry
from consent_service.signing_keys.keystore import KeyStore, PublishedKey, b64url
from consent_service.tokens import service as tokens
from consent_service.vocabulary import SubjectKind

RAW_ENCODING, RAW_PUBLIC = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True)
class TokenKeys:
    """The issuer and the public keys of every token that may still be valid (the JWKS's keys),
    sent with the banner's configuration so a returning visit verifies with no further request."""

    issuer: str
    keys: tuple[dict[str, str], ...]

    @property
    def tag(self) -> str:
        """A short hash of the key set, for the configuration's ETag: after a rotation no 304."""
        return hashlib.sha256(",".join(sorted(key["kid"] for key in self.keys)).encode()).hexdigest()[:16]

    def as_response(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "keys": list(self.keys)}


def token_keys(
    *, session: Session, keystore: KeyStore, published: Mapping[str, PublishedKey], issuer: str, now: datetime
) -> TokenKeys:
    """The keys the JWKS publishes at `now`, from `published` (a confirmed snapshot's): no read."""
    keys = []
    for kid in sorted(published):
        public_key = keystore.public_key(session=session, kid=kid, now=now, published=published)
        if public_key is not None:
            raw = public_key.public_bytes(RAW_ENCODING, RAW_PUBLIC)
            keys.append({"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "use": "sig", "alg": "EdDSA"})
    return TokenKeys(issuer=issuer, keys=tuple(keys))


class TokenNotVerified(Exception):
    """Not a valid token of this property's visitors; the message says why."""


def verified_claims(
    *,
    session: Session,
    keystore: KeyStore,
    issuer: str,
    prop: PropertyEntry,
    token: str,
    now: datetime,
    snapshot: Snapshot,
) -> dict:
    """The claims of a token this service signed for a visitor of `prop`'s banner: the same rules
    as the banner's own check. TokenNotVerified otherwise."""
    try:
        claims = tokens.verify_token(
            session=session, keystore=keystore, issuer=issuer, token=token, now=now, snapshot=snapshot
        )
    except tokens.TokenRejected as rejected:
        raise TokenNotVerified(str(rejected)) from None
    if not str(claims.get("sub", "")).startswith(SubjectKind.VISITOR.value + ":"):
        raise TokenNotVerified("not a visitor's token")
    if claims.get("prp") != prop.publishable_key:
        raise TokenNotVerified("another property's token")
    return claims
